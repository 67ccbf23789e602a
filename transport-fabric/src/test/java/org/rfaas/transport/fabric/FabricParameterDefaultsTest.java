package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * The libfabric parameters the provider sets for its process ({@link LibfabricLoad#PARAMETER_DEFAULTS}): set
 * before libfabric reads them, never over a value the user exported, and with the effect they are
 * there for — an {@code ofi_rxm} endpoint no longer allocates tens of MiB of bounce buffers.
 */
class FabricParameterDefaultsTest {
    private static final String RX_SIZE = "FI_OFI_RXM_MSG_RX_SIZE";
    private static final MethodHandle GETENV = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("getenv"), FunctionDescriptor.of(ADDRESS, ADDRESS));

    /** The process environment now (System.getenv is a snapshot taken when the JVM started). */
    static String getenv(String name) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) GETENV.invokeExact(a.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? null : value.reinterpret(Long.MAX_VALUE).getString(0);
        }
    }

    @Test
    void theDefaultsAreInTheEnvironmentOnceLibfabricIsLoaded() throws Throwable {
        assertNull(FabricInfo.libraryProblem(), "libfabric1 is installed on CI and dev machines");
        String exported = System.getenv(RX_SIZE);
        assertEquals(exported != null ? exported : "64", getenv(RX_SIZE));
        for (var p : LibfabricLoad.PARAMETER_DEFAULTS) {
            String own = System.getenv(p.getKey());
            assertEquals(own != null ? own : p.getValue(), getenv(p.getKey()), p.getKey());
        }
    }

    @Test
    void aValueTheUserExportedWins() throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                PrintParameter.class.getName(), RX_SIZE)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // until it exits
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        } finally {
            p.destroyForcibly();
        }
        assertTrue(out.contains(RX_SIZE + "=4096"), out);
    }

    /** {@code PrintParameter NAME}: sets NAME=4096 itself, as a user's job script would, then loads libfabric. */
    public static final class PrintParameter {
        private PrintParameter() {
        }

        public static void main(String[] args) throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                MethodHandle setenv = Linker.nativeLinker().downcallHandle(
                        Linker.nativeLinker().defaultLookup().findOrThrow("setenv"),
                        FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, ADDRESS, ADDRESS,
                                java.lang.foreign.ValueLayout.JAVA_INT));
                int ret = (int) setenv.invokeExact(a.allocateFrom(args[0]), a.allocateFrom("4096"), 1);
                if (ret != 0) {
                    throw new IllegalStateException("setenv failed");
                }
            }
            String problem = FabricInfo.libraryProblem();
            System.out.println(problem != null ? "libfabric: " + problem : args[0] + "=" + getenv(args[0]));
        }
    }

    /**
     * With rxm's shared-receive default (4096 buffers of 16 KiB each) a connection pair grew the
     * resident set by 123-144 MiB here; with 128 buffers its two data endpoints took 24-34 MiB, and
     * with 64 receives and 64 sends of 4 KiB 13 MiB (the rest is the tcp provider's and rxm's
     * other pools, and the connections' own slots), measured with fi_cq_sread warm waits, which
     * need no other endpoint.
     */
    @Test
    void anRxmEndpointDoesNotAllocateTensOfMegabytes() throws Exception {
        long grown = pairGrowth("cq");
        assertTrue(grown < (40L << 20), "one fabric:tcp connection pair (two endpoints) grew the resident set by "
                + (grown >> 20) + " MiB");
    }

    /**
     * The default warm wait over tcp adds a wake-up endpoint on each side: a pair took 84-97 MiB
     * with rxm's 16 KiB buffers and 24-25 MiB with the 4 KiB ones of {@link LibfabricLoad#PARAMETER_DEFAULTS}.
     */
    @Test
    void theWakeUpEndpointsStayWithinTheirPools() throws Exception {
        long grown = pairGrowth("auto");
        assertTrue(grown < (60L << 20), "one fabric:tcp connection pair (four endpoints) grew the resident set by "
                + (grown >> 20) + " MiB");
    }

    private static long pairGrowth(String warmWait) throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 64 << 10, 0);
        System.setProperty(FabricCapabilities.WARM_WAIT_PROPERTY, warmWait);
        try (Transport t = Transports.open("fabric:tcp")) {
            Listener l = t.listen("fabric:tcp://127.0.0.1:0", spec);
            // The first pairs pay for class loading, compilation and malloc arenas; the third is
            // measured. They stay open, so that the third cannot reuse memory they freed.
            List<Connection> first = connectPair(t, l, spec);
            List<Connection> second = connectPair(t, l, spec);
            long before = residentBytes();
            List<Connection> pair = connectPair(t, l, spec);
            long grown = residentBytes() - before;
            closeBoth(pair);
            closeBoth(second);
            closeBoth(first);
            return grown;
        } finally {
            System.clearProperty(FabricCapabilities.WARM_WAIT_PROPERTY);
        }
    }

    private static List<Connection> connectPair(Transport t, Listener l, ConnectionSpec spec) throws Exception {
        CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(() -> l.accept(Duration.ofSeconds(30)));
        Connection a = t.connect(l.address(), spec, Duration.ofSeconds(30));
        Connection b = accepted.get(30, TimeUnit.SECONDS);
        assertNotNull(b, "nothing accepted");
        return List.of(a, b);
    }

    private static void closeBoth(List<Connection> pair) {
        pair.forEach(Connection::close);
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
