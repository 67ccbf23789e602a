package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.CRC32;
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
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.packages.PackageCache;

/**
 * The node's package cache end to end, with real executors: a package is shipped once per node,
 * a tampered cached copy is shipped again, and the cold start of a large (50 MB) package with and
 * without the cache.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PackageCacheSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;

    InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("pkgcache", c -> c.withSpareExecutors(0).withPackageCacheMiB(256));
        dir = node.dir;
        manager = node.manager;
        client = node.client;
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private static AllocationSpec spec(FunctionPackage pkg) {
        return AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, pkg, 64, 64);
    }

    @Test
    void aSecondLeaseWithTheSamePackageTransfersNothingAndATamperedCopyIsShippedAgain() throws Exception {
        Path jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
        PackageCache cache = manager.packageCache();
        try (RemoteExecutor first = client.allocate(spec(FunctionPackage.jar(jar)))) {
            assertArrayEquals(new byte[] {1}, first.invoke("echo", new byte[] {1}));
        }
        long size = Files.size(jar);
        assertEquals(size, cache.bytesReceived());
        // Another package object (as another client would have) with the same bytes.
        try (RemoteExecutor second = client.allocate(spec(FunctionPackage.jar(jar)))) {
            assertArrayEquals(new byte[] {2}, second.invoke("echo", new byte[] {2}));
        }
        assertEquals(size, cache.bytesReceived(), "the second lease shipped no package byte");
        assertEquals(1, cache.hits());

        // Damage the cached copy in place (same size, same name): detected, shipped again, runs.
        Path cached = cache.fileOf(FunctionPackage.jar(jar).digest());
        cached.toFile().setWritable(true);
        byte[] bad = Files.readAllBytes(cached);
        bad[bad.length / 2] ^= 0x55;
        Files.write(cached, bad);
        try (RemoteExecutor third = client.allocate(spec(FunctionPackage.jar(jar)))) {
            assertArrayEquals(new byte[] {3}, third.invoke("echo", new byte[] {3}));
        }
        assertEquals(1, cache.tampered());
        assertEquals(2 * size, cache.bytesReceived());
        assertEquals(PackageCache.hash(jar), PackageCache.hash(cached), "the cache holds the good bytes again");
    }

    @Test
    void aLargePackageColdStartsFromTheCacheWithoutTransfer() throws Exception {
        // A spare executor per lease, waited for, keeps the JVM boot out of what is compared.
        client.close();
        manager.close();
        manager = new ExecutorManager(ExecutorManagerConfig.of("node0", List.of("tcp://127.0.0.1:0"), 2, 2048,
                dir.resolve("work2")).withSpareExecutors(1).withSpareMemoryMiB(128).withPackageCacheMiB(256), null);
        client = RfaasClient.builder()
                .leaseSource(SystemTestSupport.database("node0", manager.start().getFirst(), 2, 2048)).build();
        PackageCache cache = manager.packageCache();
        Path cachedJar = largeJar(dir.resolve("large.jar"), 50 << 20, 0);
        long size = Files.size(cachedJar);
        coldStart(FunctionPackage.jar(cachedJar)); // ships it once
        // Alternate: a package the node never saw (fresh bytes, same size) and the cached one.
        List<String> rows = new java.util.ArrayList<>();
        for (int round = 1; round <= 3; round++) {
            Path fresh = largeJar(dir.resolve("fresh" + round + ".jar"), 50 << 20, round);
            long before = cache.bytesReceived();
            long uncached = coldStart(FunctionPackage.jar(fresh));
            assertEquals(size, cache.bytesReceived() - before);
            before = cache.bytesReceived();
            long cached = coldStart(FunctionPackage.jar(cachedJar));
            assertEquals(0, cache.bytesReceived() - before, "the cached lease shipped no package byte");
            long h0 = System.nanoTime();
            PackageCache.hash(cachedJar);
            long hash = System.nanoTime() - h0;
            rows.add(String.format("uncached %.1f ms, cached %.1f ms (hashing it: %.1f ms)", uncached / 1e6,
                    cached / 1e6, hash / 1e6));
            Files.delete(fresh);
        }
        System.out.printf("package cache: %.1f MB package, cold start to first result: %s%n", size / 1e6, rows);
    }

    /** Allocation (the client's package already hashed) to the first result, in ns. */
    private long coldStart(FunctionPackage pkg) throws InterruptedException {
        pkg.digest(); // the client hashes once per package object, not per lease
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (manager.spareExecutorPids().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(300); // let the spare's boot settle
        long t0 = System.nanoTime();
        try (RemoteExecutor e = client.allocate(spec(pkg))) {
            assertArrayEquals(new byte[] {7}, e.invoke("echo", new byte[] {7}));
            return System.nanoTime() - t0;
        }
    }

    /** The example functions plus {@code padding} stored (incompressible) bytes, like a model file. */
    static Path largeJar(Path out, int padding, long seed) throws Exception {
        Path small = ExamplePackages.writeJar(out.resolveSibling("small.jar"));
        byte[] data = new byte[padding];
        new Random(seed).nextBytes(data);
        try (JarInputStream in = new JarInputStream(Files.newInputStream(small));
                OutputStream file = Files.newOutputStream(out);
                JarOutputStream jar = new JarOutputStream(file)) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                jar.putNextEntry(new JarEntry(e.getName()));
                in.transferTo(jar);
                jar.closeEntry();
            }
            ZipEntry model = new ZipEntry("model/weights.bin");
            model.setMethod(ZipEntry.STORED);
            model.setSize(data.length);
            CRC32 crc = new CRC32();
            crc.update(data);
            model.setCrc(crc.getValue());
            jar.putNextEntry(model);
            jar.write(data);
            jar.closeEntry();
        }
        return out;
    }
}
