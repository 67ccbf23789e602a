package org.rfaas.executormanager.packages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.PackageDigest;

/** The node's package cache on its own: verified hits, tamper detection, LRU eviction, restart. */
class PackageCacheTest {
    @TempDir
    Path dir;

    private Path received(String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Path f = dir.resolve(name);
        Files.write(f, b);
        return f;
    }

    @Test
    void aHeldPackageIsHandedOutVerifiedAndATamperedOneIsDropped() throws Exception {
        PackageCache cache = new PackageCache(dir.resolve("cache"), 1 << 20);
        Path a = received("a", 5000, 1);
        PackageDigest d = PackageCache.hash(a);
        assertFalse(cache.provide(d, 5000, dir.resolve("lease1")));
        cache.admit(d, a);
        Path lease2 = dir.resolve("lease2");
        assertTrue(cache.provide(d, 5000, lease2));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(lease2));
        assertEquals(1, cache.hits());

        // Someone changes the cached bytes (same size, same name): the next lease must not get them.
        Path cached = cache.fileOf(d);
        cached.toFile().setWritable(true);
        byte[] bad = Files.readAllBytes(cached);
        bad[100] ^= 1;
        Files.write(cached, bad);
        Path lease3 = dir.resolve("lease3");
        assertFalse(cache.provide(d, 5000, lease3));
        assertFalse(Files.exists(lease3));
        assertFalse(cache.holds(d));
        assertEquals(1, cache.tampered());
        assertEquals(0, cache.heldBytes());
    }

    @Test
    void aWrongSizeIsAMissAndNoneIsNeverCached() throws Exception {
        PackageCache cache = new PackageCache(dir.resolve("cache"), 1 << 20);
        Path a = received("a", 3000, 2);
        PackageDigest d = PackageCache.hash(a);
        cache.admit(d, a);
        assertFalse(cache.provide(d, 2999, dir.resolve("x")));
        cache.admit(PackageDigest.NONE, a);
        assertFalse(cache.provide(PackageDigest.NONE, 3000, dir.resolve("y")));
    }

    @Test
    void theLeastRecentlyUsedPackagesGoFirstUnderTheLimit() throws Exception {
        PackageCache cache = new PackageCache(dir.resolve("cache"), 10_000);
        PackageDigest[] d = new PackageDigest[4];
        for (int i = 0; i < 3; i++) {
            Path f = received("p" + i, 3000, 10 + i);
            d[i] = PackageCache.hash(f);
            cache.admit(d[i], f);
        }
        assertEquals(9000, cache.heldBytes());
        assertTrue(cache.provide(d[0], 3000, dir.resolve("use0"))); // p0 is now the most recent
        Path f3 = received("p3", 3000, 13);
        d[3] = PackageCache.hash(f3);
        cache.admit(d[3], f3);
        assertFalse(cache.holds(d[1]), "the least recently used package is evicted");
        assertFalse(Files.exists(cache.fileOf(d[1])));
        assertTrue(cache.holds(d[0]) && cache.holds(d[2]) && cache.holds(d[3]));
        assertEquals(9000, cache.heldBytes());
        assertEquals(1, cache.evictions());
        // The evicted package's lease copy (a hard link) survives the eviction.
        assertEquals(d[1], PackageCache.hash(dir.resolve("p1")));

        // Larger than the whole limit: not cached, nothing evicted for it.
        Path big = received("big", 20_000, 99);
        cache.admit(PackageCache.hash(big), big);
        assertEquals(9000, cache.heldBytes());
        assertEquals(1, cache.evictions());
    }

    @Test
    void aRestartedManagerFindsItsPackagesAndKeepsWithinASmallerLimit() throws Exception {
        Path cacheDir = dir.resolve("cache");
        PackageCache cache = new PackageCache(cacheDir, 1 << 20);
        Path a = received("a", 4000, 3);
        Path b = received("b", 4000, 4);
        PackageDigest da = PackageCache.hash(a);
        PackageDigest db = PackageCache.hash(b);
        cache.admit(da, a);
        Files.setLastModifiedTime(cache.fileOf(da), java.nio.file.attribute.FileTime.fromMillis(1000));
        cache.admit(db, b);
        Files.writeString(cacheDir.resolve(db.hex() + ".partial"), "left by a crash");

        PackageCache again = new PackageCache(cacheDir, 5000);
        assertFalse(again.holds(da), "the older one is evicted to fit the new limit");
        assertTrue(again.provide(db, 4000, dir.resolve("lease")));
        assertFalse(Files.exists(cacheDir.resolve(db.hex() + ".partial")));
    }
}
