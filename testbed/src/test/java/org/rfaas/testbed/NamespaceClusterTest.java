package org.rfaas.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The namespace cluster: isolation, connectivity, host names, teardown and stale cleanup. Needs root. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NamespaceClusterTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsNamespaces() {
        TestbedAssumptions.assumeNamespaces();
    }

    @Test
    void hostsHaveOwnNamesAndReachEachOtherOverTcpButNotEachOthersLoopback() throws Exception {
        List<Long> pids = new ArrayList<>();
        try (NamespaceCluster c = NamespaceCluster.start(5, dir)) {
            assertEquals(5, c.hosts().size());
            String rootHostname = Commands.check("hostname").strip();
            for (Host h : c.hosts()) {
                assertEquals(h.name(), h.run("hostname").output().strip());
                String routes = h.run("ip", "-4", "route").output();
                assertFalse(routes.contains("default"), h + " has a default route: " + routes);
                assertTrue(routes.strip().equals("198.18.0.0/24 dev eth0 proto kernel scope link src " + h.address()),
                        h + " routes: " + routes);
            }
            assertEquals(rootHostname, Commands.check("hostname").strip(), "the machine's own host name is untouched");
            HostProcess server1 = startEcho(c.host(1), 7001);
            HostProcess server2 = startEcho(c.host(2), 7001);
            pids.add(server1.pid());
            pids.add(server2.pid());
            assertTrue(c.host(1).pids().contains(server1.pid()), "ip netns pids finds the server");
            for (Host from : c.hosts()) {
                for (Host to : List.of(c.host(1), c.host(2))) {
                    Host.Result r = tcpLine(from, to.address(), 7001, "hello-from-" + from.name());
                    assertTrue(r.ok(), from + " -> " + to + ": " + r.output());
                    assertEquals(to.name() + " hello-from-" + from.name(), r.output().strip());
                }
            }
            // Each host's 127.0.0.1 is its own: host 1 reaches its server there, host 3 finds nothing.
            assertEquals("rfx-h1 self", tcpLine(c.host(1), "127.0.0.1", 7001, "self").output().strip());
            Host.Result other = tcpLine(c.host(3), "127.0.0.1", 7001, "self");
            assertFalse(other.ok(), "host 3 reached host 1's loopback: " + other.output());

            // A cut link isolates the host; restoring it reconnects.
            c.host(2).cutLink();
            Host.Result cut = c.host(3).run("bash", "-c", "timeout 2 bash -c 'exec 3<>/dev/tcp/198.18.0.2/7001'");
            assertFalse(cut.ok(), "host 2 reachable with its link down");
            c.host(2).restoreLink();
            assertEquals("rfx-h2 back", tcpLine(c.host(3), c.host(2).address(), 7001, "back").output().strip());

            c.host(2).killAll();
            assertTrue(c.host(2).pids().isEmpty());
            assertTrue(server2.process().waitFor(5, TimeUnit.SECONDS), "server on host 2 survived killAll");
            assertTrue(server1.isAlive());
        }
        assertNothingLeft(pids);
    }

    @Test
    void theShutdownHookTearsDownAClusterItsJvmDidNotClose() throws Exception {
        Process run = childRun("exit", 2);
        assertEquals(0, run.waitFor(), () -> HostProcess.tail(dir.resolve("run.err"), 30));
        assertNothingLeft(List.of());
    }

    @Test
    void aClusterLeftByAKilledRunIsRemovedAtTheNextStart() throws Exception {
        Process killed = childRun("wait", 3);
        List<Long> leftPids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            leftPids.addAll(NamespaceCluster.netnsPids("rfx-h" + i));
        }
        assertEquals(3, leftPids.size(), "one sleeper per host");
        killed.destroyForcibly();
        assertTrue(killed.waitFor(10, TimeUnit.SECONDS));
        // SIGKILL runs no shutdown hook: the namespaces, links, mounts and sleepers are still there.
        assertTrue(Commands.check("ip", "netns", "list").contains("rfx-h1"));
        assertTrue(NamespaceCluster.links().contains(NamespaceCluster.BRIDGE));
        assertTrue(NamespaceCluster.mountPoints().contains(NamespaceCluster.UTS_DIR + "/rfx-h1.uts"));
        assertTrue(NamespaceCluster.running(leftPids.getFirst()));

        try (NamespaceCluster c = NamespaceCluster.start(2, dir.resolve("next"))) {
            assertEquals(List.of("rfx-h1", "rfx-h2"), Commands.check("ip", "netns", "list").lines()
                    .map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith("rfx-")).sorted().toList());
            assertFalse(NamespaceCluster.links().contains("rfx-h3-b"), "host 3's veth of the killed run is gone");
            for (long pid : leftPids) {
                assertFalse(NamespaceCluster.running(pid), "sleeper " + pid + " survived");
            }
            assertEquals("rfx-h2", c.host(2).run("hostname").output().strip());
        }
        assertNothingLeft(leftPids);
    }

    /** A child JVM that builds a cluster of {@code hosts} and, once ready, waits or exits without closing it. */
    private Process childRun(String mode, int hosts) throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), KilledRunMain.class.getName(), dir.resolve("run").toString(),
                Integer.toString(hosts), mode).redirectError(dir.resolve("run.err").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine(), () -> "child run did not start: " + HostProcess.tail(dir.resolve("run.err"), 30));
        return p;
    }

    static HostProcess startEcho(Host host, int port) throws Exception {
        HostProcess p = host.start("echo-" + port, List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), EchoServer.class.getName(), Integer.toString(port)));
        p.awaitOutputLine("listening"::equals, Duration.ofSeconds(30));
        return p;
    }

    /** Sends one line from {@code from} to address:port with bash's /dev/tcp; returns the answer line. */
    static Host.Result tcpLine(Host from, String address, int port, String line) {
        return from.run("bash", "-c", "timeout 5 bash -c 'exec 3<>/dev/tcp/" + address + "/" + port + " && echo " + line
                + " >&3 && read -r answer <&3 && echo \"$answer\"'");
    }

    /** No namespace, link, UTS mount or listed process of the testbed is left. */
    static void assertNothingLeft(List<Long> pids) throws Exception {
        assertTrue(Commands.check("ip", "netns", "list").lines().noneMatch(l -> l.startsWith(NamespaceCluster.PREFIX)),
                Commands.check("ip", "netns", "list"));
        assertTrue(NamespaceCluster.links().stream().noneMatch(l -> l.startsWith(NamespaceCluster.PREFIX)),
                NamespaceCluster.links().toString());
        assertTrue(NamespaceCluster.mountPoints().stream().noneMatch(m -> m.contains("/rfx-")),
                NamespaceCluster.mountPoints().toString());
        assertFalse(Files.exists(NamespaceCluster.UTS_DIR));
        for (long pid : pids) {
            assertFalse(NamespaceCluster.running(pid), "process " + pid + " survived");
        }
    }
}
