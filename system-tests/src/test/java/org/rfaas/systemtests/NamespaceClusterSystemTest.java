package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.rfaas.testbed.Host;

/**
 * rFaaS on a 5-host namespace cluster with a real Slurm ({@link ClusterFixture}): cross-host
 * invocations over tcp and fabric:tcp, a Slurm job taking its node back, and host failures. One
 * cluster for the class; the fault tests run last and restart what they broke. Needs root (skipped
 * with the reason printed otherwise).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NamespaceClusterSystemTest {
    static final Set<String> EXECUTOR_HOSTS = Set.of("rfx-h2", "rfx-h3", "rfx-h4");
    ClusterFixture f;

    @BeforeAll
    void start() throws Exception {
        ClusterFixture.assumeAvailable();
        f = ClusterFixture.start();
    }

    @AfterAll
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    /** A failed test leaves no lease behind to starve the next one. */
    @AfterEach
    void releaseAll() throws Exception {
        if (f != null) {
            f.client.ok("releaseall");
        }
    }

    @Test
    @Order(1)
    void javaAndNativeInvocationsAreByteExactFromTheComputeHostToThreeHosts() throws Exception {
        for (String transport : List.of("tcp", "fabric")) {
            Set<String> nodes = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                String[] lease = f.client.ok("alloc j" + i + " " + transport + " java 1");
                nodes.add(lease[1]);
                for (int size : new int[] {0, 1, 1000, 64 * 1024, 256 * 1024}) {
                    f.client.ok("echocheck j" + i + " " + size + " " + (size + i));
                }
                // sum-squares of {3, -4}: little-endian longs in, 25 out
                assertEquals("1900000000000000", f.client.ok("invoke j" + i + " sum-squares 0300000000000000fcffffffffffffff")[0]);
            }
            assertEquals(EXECUTOR_HOSTS, nodes, transport + ": one Java lease on each executor host");
            nodes.clear();
            for (int i = 0; i < 3; i++) {
                String[] lease = f.client.ok("alloc n" + i + " " + transport + " native 1");
                nodes.add(lease[1]);
                // "native rFaaS" echoed; "native rFaA" reversed
                assertEquals("6e6174697665207246614153", f.client.ok("invoke n" + i + " echo 6e6174697665207246614153")[0]);
                assertEquals("416146722065766974616e", f.client.ok("invoke n" + i + " reverse 6e61746976652072466141 warm")[0]);
            }
            assertEquals(EXECUTOR_HOSTS, nodes, transport + ": one native lease on each executor host");
            for (int i = 0; i < 3; i++) {
                f.client.ok("release j" + i);
                f.client.ok("release n" + i);
            }
        }
        // Each executor host served a Java lease (6 calls) and a native one (2) per transport: its
        // manager's Prometheus endpoint, scraped across the bridge from the compute host, says so.
        for (Host h : f.rfaas.executorHosts()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            double calls;
            String scrape;
            do {
                Host.Result r = f.rfaas.computeHost().run("curl", "-sS", "--max-time", "5", f.rfaas.metricsUrl(h));
                assertTrue(r.ok(), h.name() + " metrics: " + r.output());
                scrape = r.output();
                calls = sample(scrape, "rfaas_em_invocations_total");
            } while (calls < 16 && System.nanoTime() < deadline && sleep(100));
            assertTrue(calls >= 16, h.name() + " served at least 16 calls:\n" + scrape);
            assertTrue(sample(scrape, "rfaas_em_allocations_total") >= 4, scrape);
            assertEquals(0, sample(scrape, "rfaas_em_leases_active"), scrape);
        }
    }

    /** The value of an unlabelled sample in a Prometheus text exposition. */
    private static double sample(String exposition, String name) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + name + " in:\n" + exposition);
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    /** One computation over three hosts: a group of three 1-core leases, one scatter, one completion. */
    @Test
    @Order(1)
    void oneScatterOverLeasesOnThreeHostsCompletesOnce() throws Exception {
        String[] nodes = f.client.ok("group 3 1")[0].split(",");
        assertEquals(EXECUTOR_HOSTS, Set.of(nodes), "the group's leases are on the three executor hosts");
    }

    @Test
    @Order(2)
    void aSlurmJobOnANodeWithLeasesRevokesThemStopsTheExecutorsFirstAndTheNodeComesBack() throws Exception {
        List<String> leaseNodes = new ArrayList<>();
        List<Long> leaseIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String[] lease = f.client.ok("alloc s" + i + " tcp java 1");
            leaseIds.add(Long.parseLong(lease[0]));
            leaseNodes.add(lease[1]);
            f.client.ok("invoke s" + i + " echo 01");
        }
        int victim = 1;
        String node = leaseNodes.get(victim);
        Host host = f.cluster.host(node);
        assertEquals(1, executorsIn(host), "the leased executor runs on " + node);

        long sbatchAt = System.currentTimeMillis();
        long job = f.slurm.sbatch(f.cluster.host(5), node, """
                #!/bin/bash
                # Fails unless no rFaaS executor of a lease runs on this node when the job starts.
                echo "start $(date +%s%3N) host $(hostname)"
                self=$(readlink /proc/self/ns/net); n=0
                for l in /proc/[0-9]*/ns/net; do
                  [ "$(readlink "$l" 2>/dev/null)" = "$self" ] || continue
                  p=${l#/proc/}; p=${p%%/*}
                  case "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" in
                    *org.rfaas.executor.ExecutorMain*" --train"*) ;;
                    *org.rfaas.executor.ExecutorMain*) n=$((n + 1)); echo "executor pid $p" ;;
                  esac
                done
                echo "executors $n"
                [ "$n" = 0 ] || exit 3
                sleep 2
                echo "end $(date +%s%3N)"
                """);
        long revokedAt = awaitLeaseState(leaseIds.get(victim), "REVOKED", Duration.ofSeconds(30));
        // The resource manager pushes the revocation: the client's lease listener hears it, no call needed.
        String heard = f.client.next("! revoked " + leaseIds.get(victim) + " ", Duration.ofSeconds(10));
        long heardAt = System.currentTimeMillis() - (System.nanoTime() - f.client.lastArrivalNanos()) / 1_000_000;
        assertTrue(heard.contains(" " + node + " "), heard);
        awaitJobOutput(job, "start ", Duration.ofSeconds(60));
        // The job's first command ran, so the prolog saw the executor gone: the client's calls fail with a revocation.
        String revoked = f.client.call("invoke s" + victim + " echo 02");
        assertTrue(revoked.startsWith("error LeaseRevokedException"), revoked);
        String check = f.client.call("check s" + victim);
        assertTrue(check.startsWith("error LeaseRevokedException"), check);
        for (int i = 0; i < 3; i++) {
            if (i != victim) {
                assertEquals("03", f.client.ok("invoke s" + i + " echo 03")[0], "leases on other nodes keep serving");
            }
        }
        assertEquals("COMPLETED", f.slurm.awaitJobState(job, Duration.ofSeconds(60), "COMPLETED", "FAILED"),
                () -> "job output:\n" + String.join("\n", ClusterFixture.lines(f.slurm.jobOutput(job))));
        List<String> out = Files.readAllLines(f.slurm.jobOutput(job));
        assertTrue(out.contains("executors 0"), out.toString());
        long startedAt = Long.parseLong(out.getFirst().split(" ")[1]);
        assertTrue(out.getFirst().endsWith("host " + node), out.toString());
        long endedAt = Long.parseLong(out.getLast().split(" ")[1]);

        long upAt = f.awaitNodeState(node, "UP", Duration.ofSeconds(30));
        // least-loaded placement: the returned node has the most free cores, so the next lease lands there.
        String[] again = f.client.ok("alloc back tcp java 1");
        long servingAt = System.currentTimeMillis();
        assertEquals(node, again[1], "a new lease is placed on the node the job gave back");
        assertEquals("04", f.client.ok("invoke back echo 04")[0]);
        System.out.printf("slurm: sbatch -> lease REVOKED at the resource manager %d ms; sbatch -> the client's listener told"
                + " %d ms (%s); sbatch -> job's first command %d ms; job end -> node UP at the resource manager %d ms;"
                + " job end -> new lease on it serving %d ms%n", revokedAt - sbatchAt, heardAt - sbatchAt, heard,
                startedAt - sbatchAt, upAt - endedAt, servingAt - endedAt);
        ClusterFixture.lines(f.slurmLog()).forEach(l -> System.out.println("rfaas-slurm.log: " + l));
        f.client.ok("release back");
        for (int i = 0; i < 3; i++) {
            if (i != victim) {
                f.client.ok("release s" + i);
            }
        }
        f.client.call("release s" + victim);
    }

    /**
     * The rFaaS use case end to end: a Slurm batch job gets a node (the prolog takes it back from
     * rFaaS), runs Black-Scholes with 2 MPI ranks there, and each rank leases a core on the other
     * rFaaS nodes and offloads half its options; the prices equal the all-local run bit for bit
     * and no lease of the job is left active.
     */
    @Test
    @Order(3)
    void aSlurmJobRunsBlackScholesWithHalfItsOptionsOffloadedToRfaasNodesAndReleasesItsLeases() throws Exception {
        MpiRun.assumeMpirun("aSlurmJobRunsBlackScholesWithHalfItsOptionsOffloadedToRfaasNodes");
        String node = "rfx-h2";
        String java = ProcessHandle.current().info().command().orElseThrow();
        String tenant = "bs-job";
        Path keyFile = f.dir.resolve("bs-job.key");
        Files.writeString(keyFile, f.rfaas.createTenant(tenant));
        long sbatchAt = System.currentTimeMillis();
        long job = f.slurm.sbatch(f.cluster.host(5), node, """
                #!/bin/bash
                echo "start $(date +%%s%%3N) host $(hostname)"
                mpirun --allow-run-as-root --oversubscribe -np 2 %s --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
                  %s -cp '%s' org.rfaas.apps.blackscholes.BlackScholesApp --resource-manager %s --tenant %s \
                  --api-key-file %s --offload 0.5 --size simsmall --batch 1024 --check
                rc=$?
                echo "end $(date +%%s%%3N) rc $rc"
                exit $rc
                """.formatted(java, SystemTestSupport.CHILD_LOGGING, System.getProperty("java.class.path"),
                f.rfaas.rmUrl(), tenant, keyFile));
        String state = f.slurm.awaitJobState(job, Duration.ofSeconds(150), "COMPLETED", "FAILED");
        List<String> out = ClusterFixture.lines(f.slurm.jobOutput(job));
        assertEquals("COMPLETED", state, () -> "job output:\n" + String.join("\n", out));
        assertTrue(out.getFirst().endsWith("host " + node), out.toString());
        assertTrue(out.stream().anyMatch(l -> l.contains("check=bitwise-equal")), out.toString());
        String leases = f.rfaas.admin("GET", "/v1/leases");
        List<String> placed = new ArrayList<>();
        JsonNode root = new ObjectMapper().readTree(leases);
        for (JsonNode l : root.isArray() ? root : root.path("leases")) {
            if (tenant.equals(l.path("tenant").asText())) {
                placed.add(l.path("node").asText());
            }
        }
        assertEquals(2, placed.size(), "one lease per rank: " + leases);
        assertTrue(!placed.contains(node) && EXECUTOR_HOSTS.containsAll(placed), "offloaded to the other rFaaS nodes: " + placed);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (f.rfaas.admin("GET", "/v1/leases?state=ACTIVE").contains("\"" + tenant + "\"")) {
            assertTrue(System.nanoTime() < deadline, "leases of the job still active");
            Thread.sleep(100);
        }
        long endedAt = Long.parseLong(out.getLast().split(" ")[1]);
        System.out.printf("slurm Black-Scholes job (2 ranks on %s, 50%% offloaded to the other rFaaS nodes): sbatch -> job"
                + " end %d ms; %s%n", node, endedAt - sbatchAt, out.stream().filter(l -> l.contains("RESULT")).findFirst()
                .orElse(""));
        f.awaitNodeState(node, "UP", Duration.ofSeconds(30));
    }

    @Test
    @Order(4)
    void killingEveryProcessOfAHostFailsTheClientAtOnceTheNodeGoesDownAndTheOthersServe() throws Exception {
        Host host = faultDuringHotRepeat("SIGKILL of every process", Host::killAll, null, 2000);
        f.startManager(hostNumber(host));
        f.awaitNodeState(host.name(), "UP", Duration.ofSeconds(30));
    }

    /**
     * A host whose link goes down sends no FIN: the data connections' heartbeats find the silent
     * peer, so the call in flight fails within 2 s while the link is still down; the resource
     * manager marks the node DOWN and the other hosts keep serving.
     */
    @Test
    @Order(5)
    void cuttingAHostsLinkFailsTheClientWithinTwoSecondsMarksTheNodeDownAndTheOthersServe() throws Exception {
        Host host = faultDuringHotRepeat("link cut", Host::cutLink, Host::restoreLink, 2000);
        f.awaitNodeState(host.name(), "UP", Duration.ofSeconds(30));
    }

    /** What a fault does to a host. */
    private interface HostAction {
        void apply(Host host) throws Exception;
    }

    /**
     * Leases one core on each executor host, runs hot calls on the third, applies {@code fault} to
     * that host, and checks: the client's run ends in {@code ExecutorLostException} within
     * {@code boundMillis}, the node goes DOWN, the other hosts keep serving. {@code repair}, if any,
     * runs after the checks (also when they fail). Returns the failed host.
     */
    private Host faultDuringHotRepeat(String what, HostAction fault, HostAction repair, long boundMillis) throws Exception {
        String[] nodes = leaseOnEachHost();
        Host host = f.cluster.host(nodes[2]);
        startHotRepeat();
        long faultAt = System.nanoTime();
        fault.apply(host);
        try {
            String answer = f.client.next("! repeat f2 ", Duration.ofSeconds(10)).substring("! repeat f2 ".length());
            long errorMillis = (f.client.lastArrivalNanos() - faultAt) / 1_000_000;
            long downMillis = nodeGoesDownAndOthersServe(host, faultAt);
            System.out.printf("%s of %s during a hot repeat: client error after %d ms (%s); node DOWN at the resource"
                    + " manager after %d ms (heartbeat timeout %d ms)%n", what, host.name(), errorMillis, answer, downMillis,
                    ClusterFixture.HEARTBEAT_TIMEOUT_MILLIS);
            assertTrue(answer.startsWith("error ExecutorLostException "), answer);
            String[] fields = answer.split(" ");
            assertTrue(Long.parseLong(fields[2]) > 0, "hot calls ran before the fault: " + answer);
            // The fault takes effect somewhere inside fault.apply (a forked `ip` or `kill`, which took
            // up to 0.5 s on a loaded machine), and no call completes after it: both the time since
            // faultAt and the client's time since its last completed call bound fault -> error.
            long sinceLastOkMillis = Long.parseLong(fields[3]);
            assertTrue(Math.min(errorMillis, sinceLastOkMillis) <= boundMillis, what + ": the client's error took "
                    + errorMillis + " ms after the fault began, " + sinceLastOkMillis + " ms after its last completed call");
        } finally {
            if (repair != null) {
                repair.apply(host);
            }
        }
        f.client.ok("releaseall");
        return host;
    }

    /** One Java lease on each executor host, keys f0..f2; returns their nodes. */
    private String[] leaseOnEachHost() throws Exception {
        String[] nodes = new String[3];
        for (int i = 0; i < 3; i++) {
            nodes[i] = f.client.ok("alloc f" + i + " tcp java 1")[1];
        }
        assertEquals(EXECUTOR_HOSTS, Set.of(nodes));
        return nodes;
    }

    /** Starts hot 1-byte calls on lease f2 and lets them run a moment. */
    private void startHotRepeat() throws Exception {
        f.client.ok("repeat f2 1000000000");
        Thread.sleep(500);
    }

    /** The failed host is marked DOWN; the leases on the other two keep serving and a new lease lands on a live host. */
    private long nodeGoesDownAndOthersServe(Host host, long faultAt) throws Exception {
        f.awaitNodeState(host.name(), "DOWN", Duration.ofMillis(ClusterFixture.HEARTBEAT_TIMEOUT_MILLIS * 5));
        long downMillis = (System.nanoTime() - faultAt) / 1_000_000;
        for (int i = 0; i < 2; i++) {
            assertEquals("05", f.client.ok("invoke f" + i + " echo 05")[0], "other hosts keep serving");
        }
        String[] more = f.client.ok("alloc g tcp java 1");
        assertTrue(!more[1].equals(host.name()) && EXECUTOR_HOSTS.contains(more[1]), "new lease on a live host: " + more[1]);
        assertEquals("06", f.client.ok("invoke g echo 06")[0]);
        f.client.ok("release g");
        return downMillis;
    }

    private static int hostNumber(Host host) {
        return Integer.parseInt(host.name().substring("rfx-h".length()));
    }

    private void awaitJobOutput(long job, String prefix, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ClusterFixture.lines(f.slurm.jobOutput(job)).stream().noneMatch(l -> l.startsWith(prefix))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("job " + job + " (" + f.slurm.jobState(job) + ") printed no \"" + prefix + "\" in "
                        + timeout + "\n" + f.slurm.logTail());
            }
            Thread.sleep(20);
        }
    }

    private long awaitLeaseState(long leaseId, String state, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = f.leaseState(leaseId);
            if (state.equals(last)) {
                return System.currentTimeMillis();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("lease " + leaseId + " is " + last + ", not " + state + " after " + timeout);
    }

    /** Lease executor JVMs running in the host's network namespace. */
    static long executorsIn(Host host) {
        // The JVMs only: a sandboxed executor's bubblewrap processes carry the same arguments.
        return host.pids().stream().map(pid -> ProcessHandle.of(pid)
                        .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                        .flatMap(p -> p.info().arguments()))
                .filter(a -> a.isPresent() && List.of(a.get()).contains("org.rfaas.executor.ExecutorMain")
                        && !List.of(a.get()).contains("--train") && !List.of(a.get()).contains("--spare"))
                .count();
    }
}
