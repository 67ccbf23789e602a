package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.protocol.PackageDigest;
import java.nio.file.Path;

/** A spare executor JVM, started after a lease of the same heap size, serves the next lease. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SpareExecutorSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;

    InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("spare", c -> c.withSpareExecutors(1));
        dir = node.dir;
        manager = node.manager;
        client = node.client;
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void theNextLeaseOfTheSameSizeRunsInTheSpare() throws Exception {
        FunctionPackage pkg = FunctionPackage.jar(ExamplePackages.writeJar(dir.resolve("examples.jar")));
        AllocationSpec spec = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, pkg, 64, 64);
        long sparePid = leaseOnceThenAwaitSpare(spec);
        try (RemoteExecutor second = client.allocate(spec)) {
            assertArrayEquals(new byte[] {2, 3}, second.invoke("echo", new byte[] {2, 3}));
            assertEquals(sparePid, manager.activeLeases().iterator().next().executorPid());
        }
    }

    @Test
    void aSpareBootedAfterALeasePreloadsItsPackageAndTheNextLeaseOfItReusesIt() throws Exception {
        Path jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
        FunctionPackage pkg = FunctionPackage.jar(jar);
        AllocationSpec spec = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, pkg, 64, 64);
        long sparePid = leaseOnceThenAwaitSpare(spec);
        // The replacement spare is told the node's most recent package, by its SHA-256.
        String digest = PackageDigest.of(Files.readAllBytes(jar)).hex();
        List<String> args = List.of(ProcessHandle.of(sparePid).orElseThrow().info().arguments().orElseThrow());
        int at = args.indexOf("--preload-package");
        assertTrue(at >= 0 && args.get(at + 1).startsWith(digest + ":"), "spare command line " + args);
        // The spare loads it after its own warm-up; a lease that came sooner would load it itself.
        assertTrue(spareLogSays("spare: preloaded package " + digest, 45), "the spare did not preload the package");
        try (RemoteExecutor second = client.allocate(spec)) {
            assertArrayEquals(new byte[] {2, 3}, second.invoke("echo", new byte[] {2, 3}));
            // The executor says so once its workers run (its log moves to the lease's directory at its end).
            assertTrue(spareLogSays("(preloaded while the spare waited)", 10),
                    "the second lease did not reuse the preloaded package");
        }
    }

    /**
     * Tenant isolation outranks a cold start: a spare holding another package's classes is never
     * handed to a lease; it is retired, and the spare booted in its place preloads the new package.
     */
    @Test
    void aSpareThatPreloadedAnotherPackageIsNeverHandedToALease() throws Exception {
        Path jarA = ExamplePackages.writeJar(dir.resolve("a.jar"));
        Path jarB = withExtraEntry(jarA, dir.resolve("b.jar"));
        AllocationSpec specA = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jarA), 64, 64);
        AllocationSpec specB = AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jarB), 64, 64);
        long spareOfA = leaseOnceThenAwaitSpare(specA);
        assertTrue(preloads(spareOfA).startsWith(PackageDigest.of(Files.readAllBytes(jarA)).hex() + ":"));
        try (RemoteExecutor b = client.allocate(specB)) {
            assertArrayEquals(new byte[] {4}, b.invoke("echo", new byte[] {4}));
            assertNotEquals(spareOfA, manager.activeLeases().iterator().next().executorPid(),
                    "a lease of package B ran in the spare that holds A's classes");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String digestB = PackageDigest.of(Files.readAllBytes(jarB)).hex() + ":";
        while (System.nanoTime() < deadline && (ProcessHandle.of(spareOfA).map(ProcessHandle::isAlive).orElse(false)
                || manager.spareExecutorPids().isEmpty() || !preloads(manager.spareExecutorPids().getFirst()).startsWith(digestB))) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(spareOfA).map(ProcessHandle::isAlive).orElse(false), "A's spare was not retired");
        assertTrue(preloads(manager.spareExecutorPids().getFirst()).startsWith(digestB), "the new spare preloads "
                + preloads(manager.spareExecutorPids().getFirst()) + ", not package B");
    }

    /** The {@code --preload-package} argument of a spare's command line, or "" when it has none (or is gone). */
    private static String preloads(long pid) {
        List<String> args = ProcessHandle.of(pid).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of());
        int at = args.indexOf("--preload-package");
        return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : "";
    }

    /** A copy of {@code jar} with one more entry: the same functions, another package. */
    private static Path withExtraEntry(Path jar, Path copy) throws java.io.IOException {
        try (var in = new java.util.jar.JarInputStream(Files.newInputStream(jar));
             var out = new java.util.jar.JarOutputStream(Files.newOutputStream(copy))) {
            for (var e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new java.util.jar.JarEntry("tenant-b.txt"));
            out.write("another tenant's package".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return copy;
    }

    /** Runs one lease of {@code spec} and returns the pid of the spare booted after it (within 30 s). */
    private long leaseOnceThenAwaitSpare(AllocationSpec spec) throws InterruptedException {
        try (RemoteExecutor first = client.allocate(spec)) {
            assertArrayEquals(new byte[] {1}, first.invoke("echo", new byte[] {1}));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (manager.spareExecutorPids().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return manager.spareExecutorPids().getFirst();
    }

    /** Whether a spare's log says {@code what} within {@code seconds} (printing the logs when not). */
    private boolean spareLogSays(String what, int seconds) throws Exception {
        boolean reused = false;
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!reused && System.nanoTime() < deadline) {
            seen.setLength(0);
            try (Stream<Path> logs = Files.list(dir.resolve("work"))) {
                for (Path log : logs.filter(f -> f.getFileName().toString().startsWith("spare-")).toList()) {
                    String text = Files.readString(log);
                    reused |= text.contains(what);
                    seen.append(log.getFileName()).append(":\n").append(text);
                }
            }
            Thread.sleep(reused ? 0 : 50);
        }
        if (!reused) {
            System.err.println("spare logs:\n" + seen);
        }
        return reused;
    }
}
