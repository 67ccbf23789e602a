package org.rfaas.demo.cluster;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorGroup;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.LeaseEventListener;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.client.rm.TenantKey;
import org.rfaas.examples.ExamplePackages;

/**
 * The application on the compute host of the namespace-cluster tests, driven line by line over
 * stdin; every command is answered by one line starting with {@code = } ({@code = ok ...} or
 * {@code = error <ExceptionClass> <message>}); other lines are progress notes.
 *
 * <pre>
 * alloc KEY tcp|fabric java|native CORES [HOT_TIMEOUT_US]
 *                                            = ok LEASE_ID NODE COLD_US   (allocation and a first echo, in µs;
 *                                            hot timeout 200 ms unless given: 0 = always warm)
 * bench KEY CALLS BYTES                      = ok MEDIAN_NS P99_NS   (back-to-back echo round trips)
 * invoke KEY FUNCTION HEX_INPUT [hot|warm]   = ok HEX_OUTPUT
 * echocheck KEY SIZE SEED                    = ok   (a random input of SIZE bytes came back byte-exact, hot and warm)
 * repeat KEY COUNT                           = ok started; in the background, hot 1-byte calls until COUNT or the first
 *                                            failure, then a line "! repeat KEY ok COUNT" or
 *                                            "! repeat KEY error CLASS DONE MS_SINCE_LAST_OK message"
 * check KEY                                  = ok   (the resource manager still lists the lease as active)
 * group CORES PER_LEASE                       = ok NODE,NODE,...   (leases CORES cores in leases of at most PER_LEASE,
 *                                            scatters one distinct input per leased core with one completion, checks
 *                                            every answer in input order, releases the group)
 * release KEY                                = ok
 * releaseall                                 = ok   (every lease held; failures to confirm are ignored)
 * </pre>
 *
 * Args: resource manager URL, examples JAR, native example library; the API key of tenant
 * {@code cluster-test} in {@code RFAAS_API_KEY}.
 */
public final class ClusterApp {
    private ClusterApp() {
    }

    public static void main(String[] args) throws Exception {
        // The tenant's key comes from the environment (RFAAS_API_KEY), never the command line.
        ResourceManagerLeaseSource rm = new ResourceManagerLeaseSource(URI.create(args[0]), "cluster-test",
                TenantKey.resolve(null));
        FunctionPackage jar = FunctionPackage.jar(Path.of(args[1]));
        FunctionPackage nativeLib = FunctionPackage.nativeLibrary(Path.of(args[2]), ExamplePackages.NATIVE_FUNCTIONS);
        TransportChoice choice = new TransportChoice(rm);
        // No listen address is configured: the client listens on the address that routes to each
        // executor manager. Revocations pushed by the resource manager are printed as "! revoked" lines.
        try (RfaasClient client = RfaasClient.builder().leaseSource(choice).build()) {
            client.addLeaseListener(new LeaseEventListener() {
                @Override
                public void leaseRevoked(long leaseId, String node, String reason) {
                    synchronized (System.out) {
                        System.out.println("! revoked " + leaseId + " " + node + " " + reason.replace('\n', ' '));
                        System.out.flush();
                    }
                }
            });
            Map<String, RemoteExecutor> leases = new HashMap<>();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.out.println("# ready");
            System.out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                String[] c = line.strip().split(" ");
                String answer;
                try {
                    answer = switch (c[0]) {
                        case "alloc" -> {
                            choice.fabric = c[2].equals("fabric");
                            FunctionPackage pkg = c[3].equals("native") ? nativeLib : jar;
                            // Hot for 200 ms after a call: idle leases stop spinning, so that the
                            // machine's two cores serve the leases under test.
                            long start = System.nanoTime();
                            HotTimeout hot = HotTimeout.ofMicros(c.length > 5 ? Long.parseLong(c[5]) : 200_000);
                            RemoteExecutor e = client.allocate(AllocationSpec.of(Integer.parseInt(c[4]), 128,
                                    hot, pkg, 256 * 1024, 256 * 1024)
                                    .withLeaseDuration(Duration.ofMinutes(10)));
                            e.invoke("echo", new byte[1]);
                            long coldMicros = (System.nanoTime() - start) / 1_000;
                            leases.put(c[1], e);
                            yield "ok " + e.leaseId() + " " + choice.nodeOf(e.leaseId()) + " " + coldMicros;
                        }
                        case "invoke" -> {
                            byte[] input = c.length > 3 ? HexFormat.of().parseHex(c[3]) : new byte[0];
                            WaitMode mode = c.length > 4 && c[4].equals("warm") ? WaitMode.WARM : WaitMode.HOT;
                            yield "ok " + HexFormat.of().formatHex(leases.get(c[1]).invoke(c[2], input, mode));
                        }
                        case "echocheck" -> {
                            byte[] input = new byte[Integer.parseInt(c[2])];
                            new Random(Long.parseLong(c[3])).nextBytes(input);
                            RemoteExecutor e = leases.get(c[1]);
                            boolean hot = Arrays.equals(input, e.invoke("echo", input, WaitMode.HOT));
                            boolean warm = Arrays.equals(input, e.invoke("echo", input, WaitMode.WARM));
                            yield hot && warm ? "ok" : "error Mismatch hot=" + hot + " warm=" + warm;
                        }
                        case "repeat" -> {
                            RemoteExecutor e = leases.get(c[1]);
                            long count = Long.parseLong(c[2]);
                            Thread.ofPlatform().daemon().name("repeat-" + c[1]).start(() -> {
                                String result = repeat(e, count);
                                synchronized (System.out) {
                                    System.out.println("! repeat " + c[1] + " " + result);
                                    System.out.flush();
                                }
                            });
                            yield "ok started";
                        }
                        case "group" -> {
                            choice.fabric = false;
                            int cores = Integer.parseInt(c[1]);
                            try (ExecutorGroup g = client.allocateGroup(AllocationSpec.of(1, 128, HotTimeout.ofMicros(200_000),
                                    jar, 256 * 1024, 256 * 1024), cores, Integer.parseInt(c[2]))) {
                                List<byte[]> inputs = new ArrayList<>();
                                for (int i = 0; i < g.cores(); i++) {
                                    inputs.add(("part " + i).getBytes(StandardCharsets.UTF_8));
                                }
                                List<byte[]> outputs = g.scatter("echo", inputs).orTimeout(30, TimeUnit.SECONDS).join();
                                for (int i = 0; i < inputs.size(); i++) {
                                    if (!Arrays.equals(inputs.get(i), outputs.get(i))) {
                                        yield "error Mismatch part " + i;
                                    }
                                }
                                yield "ok " + String.join(",", g.nodes());
                            }
                        }
                        case "bench" -> {
                            RemoteExecutor e = leases.get(c[1]);
                            int calls = Integer.parseInt(c[2]);
                            byte[] input = new byte[Integer.parseInt(c[3])];
                            long[] ns = new long[calls];
                            for (int i = -calls / 4; i < calls; i++) { // the first quarter warms up, untimed
                                long t0 = System.nanoTime();
                                e.invoke("echo", input);
                                if (i >= 0) {
                                    ns[i] = System.nanoTime() - t0;
                                }
                            }
                            Arrays.sort(ns);
                            yield "ok " + ns[calls / 2] + " " + ns[Math.min(calls - 1, (int) Math.ceil(calls * 0.99) - 1)];
                        }
                        case "check" -> {
                            rm.checkActive(leases.get(c[1]).leaseId());
                            yield "ok";
                        }
                        case "release" -> {
                            leases.remove(c[1]).close();
                            yield "ok";
                        }
                        case "releaseall" -> {
                            leases.values().forEach(RemoteExecutor::close);
                            leases.clear();
                            yield "ok";
                        }
                        default -> "error IllegalArgumentException unknown command " + c[0];
                    };
                } catch (RuntimeException e) {
                    answer = "error " + e.getClass().getSimpleName() + " " + String.valueOf(e.getMessage()).replace('\n', ' ');
                }
                synchronized (System.out) {
                    System.out.println("= " + answer);
                    System.out.flush();
                }
            }
        }
    }

    /** Hot 1-byte invocations until COUNT or the first failure. */
    private static String repeat(RemoteExecutor e, long count) {
        byte[] in = {42};
        long done = 0;
        long lastOk = System.nanoTime();
        try {
            for (; done < count; done++) {
                e.invoke("echo", in, WaitMode.HOT);
                lastOk = System.nanoTime();
            }
            return "ok " + done;
        } catch (RuntimeException x) {
            return "error " + x.getClass().getSimpleName() + " " + done + " " + (System.nanoTime() - lastOk) / 1_000_000 + " "
                    + String.valueOf(x.getMessage()).replace('\n', ' ');
        }
    }

    /**
     * Leases from the resource manager, which registers each executor manager under its tcp address;
     * for {@code fabric} the offer is pointed at the same manager's {@code fabric:tcp} listener (port
     * + 1, see {@link ClusterFixture}): the lease token names the node, not the transport.
     */
    private static final class TransportChoice implements LeaseSource {
        private final ResourceManagerLeaseSource rm;
        private final Map<Long, String> nodes = new HashMap<>();
        volatile boolean fabric;

        TransportChoice(ResourceManagerLeaseSource rm) {
            this.rm = rm;
        }

        String nodeOf(long leaseId) {
            return nodes.get(leaseId);
        }

        @Override
        public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
            LeaseOffer o = rm.acquire(cores, memoryMiB, duration);
            nodes.put(o.leaseId(), o.node());
            if (!fabric) {
                return o;
            }
            String tcp = o.managerAddress();
            int colon = tcp.lastIndexOf(':');
            String address = "fabric:" + tcp.substring(0, colon) + ":" + (Integer.parseInt(tcp.substring(colon + 1)) + 1);
            return new LeaseOffer(o.node(), address, o.leaseId(), o.token(), o.expiresAtEpochMillis());
        }

        @Override
        public void release(LeaseOffer lease) {
            rm.release(lease);
        }

        @Override
        public LeaseEventListener.Registration subscribe(LeaseEventListener listener) {
            return rm.subscribe(listener);
        }
    }
}
