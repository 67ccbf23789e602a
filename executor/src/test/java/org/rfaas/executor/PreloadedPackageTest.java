package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.PackageDigest;

/**
 * A spare's preloaded package: loaded without running user code, reused only by a lease whose
 * package has the same bytes, and refused when the cached file does not hash to its digest.
 */
class PreloadedPackageTest {
    @TempDir
    Path dir;

    @BeforeEach
    void forgetInitialisations() {
        System.clearProperty(TestFunctions.Loud.INITIALISED);
    }

    @Test
    void theSamePackageReusesThePreloadedClassesAndNoUserCodeRanBeforeTheLease() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Loud.class, TestFunctions.Upper.class);
        PreloadedPackage p = PreloadedPackage.load(cached, digestOf(cached));
        assertNull(System.getProperty(TestFunctions.Loud.INITIALISED), "a function class was initialised by the preload");

        // The lease's package: the same bytes under another name (the manager's link in the lease's
        // directory), announced without a digest: compared byte for byte.
        Path assigned = Files.copy(cached, dir.resolve("package-lease.jar"));
        FunctionTable table = p.tableFor(PackageDigest.NONE, assigned);
        assertNotNull(table, "the same package was not reused");
        assertEquals(List.of("loud", "upper"), table.names());
        assertSame(p.loader(), table.loaderOf(0), "the lease's functions come from the preloaded classes");
        assertEquals("1", System.getProperty(TestFunctions.Loud.INITIALISED), "initialised once, for the lease");
    }

    @Test
    void aLeaseWhoseManagerVerifiedTheSameDigestReusesThePreloadWithoutReadingItsFile() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Loud.class, TestFunctions.Upper.class);
        PreloadedPackage p = PreloadedPackage.load(cached, digestOf(cached));
        // No file at the assigned path: had it been read, the lease would have failed.
        FunctionTable table = p.tableFor(digestOf(cached), dir.resolve("never-written.jar"));
        assertNotNull(table, "the same digest was not reused");
        assertEquals(List.of("loud", "upper"), table.names());
        assertSame(p.loader(), table.loaderOf(0));
    }

    @Test
    void anotherPackageIsNotReused() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Loud.class);
        PreloadedPackage p = PreloadedPackage.load(cached, digestOf(cached));
        Path other = FunctionTableTest.jarOf(dir.resolve("other.jar"), TestFunctions.Upper.class);
        assertNull(p.tableFor(PackageDigest.NONE, other));
        assertNull(p.tableFor(digestOf(other), other));
        // The assigned file's bytes do not matter where the manager verified another digest.
        assertNull(p.tableFor(digestOf(other), cached));
        // Same length, one byte different: still another package.
        Path flipped = Files.copy(cached, dir.resolve("flipped.jar"));
        byte[] bytes = Files.readAllBytes(flipped);
        bytes[bytes.length / 2] ^= 1;
        Files.write(flipped, bytes);
        assertNull(p.tableFor(PackageDigest.NONE, flipped));
        assertNull(System.getProperty(TestFunctions.Loud.INITIALISED), "no user code ran for a package not reused");

        FunctionTable fresh = FunctionTable.loadJar(other);
        assertNotSame(p.loader(), fresh.loaderOf(0));
    }

    @Test
    void aProviderThatCannotBeMadeFailsTheLeaseAsAFreshLoadWould() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Upper.class, TestFunctions.Broken.class);
        PreloadedPackage p = PreloadedPackage.load(cached, digestOf(cached));
        FunctionLoadException preloaded = assertThrows(FunctionLoadException.class, () -> p.tableFor(digestOf(cached), cached));
        FunctionLoadException fresh = assertThrows(FunctionLoadException.class, () -> FunctionTable.loadJar(cached));
        assertEquals(fresh.getMessage(), preloaded.getMessage());
        assertTrue(preloaded.getMessage().contains("could not be instantiated"), preloaded.getMessage());
    }

    @Test
    void aCachedFileThatNoLongerHashesToItsDigestIsNotPreloaded() throws Exception {
        Path cached = FunctionTableTest.jarOf(dir.resolve("cached"), TestFunctions.Loud.class);
        PackageDigest digest = digestOf(cached);
        Files.write(cached, new byte[] {0}, StandardOpenOption.APPEND);
        FunctionLoadException e = assertThrows(FunctionLoadException.class, () -> PreloadedPackage.load(cached, digest));
        assertTrue(e.getMessage().contains("not to " + digest), e.getMessage());
    }

    @Test
    void aPackageLargerThanTheLimitIsNotPreloaded() throws Exception {
        Path big = dir.resolve("big");
        Files.write(big, new byte[(int) PreloadedPackage.MAX_BYTES + 1]);
        assertThrows(FunctionLoadException.class, () -> PreloadedPackage.load(big, digestOf(big)));
    }

    private static PackageDigest digestOf(Path file) throws Exception {
        return PackageDigest.of(Files.readAllBytes(file));
    }
}
