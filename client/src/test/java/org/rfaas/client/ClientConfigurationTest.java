package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.PackageKind;

class ClientConfigurationTest {
    @TempDir
    Path dir;

    @Test
    void executorsDatabasePicksTheFirstNodeThatFits() throws Exception {
        Path db = dir.resolve("executors.json");
        Files.writeString(db, """
                [ {"name": "small", "address": "tcp://127.0.0.1:7000", "cores": 1, "memoryMiB": 512},
                  {"name": "big", "address": "shm:/tmp/big.sock", "cores": 8, "memoryMiB": 8192} ]
                """);
        ExecutorsDatabase nodes = ExecutorsDatabase.load(db);
        assertEquals("small", nodes.acquire(1, 256, Duration.ZERO).node());
        LeaseOffer big = nodes.acquire(2, 256, Duration.ZERO);
        assertEquals("big", big.node());
        assertEquals("shm:/tmp/big.sock", big.managerAddress());
        assertEquals(0, big.leaseId());
        assertThrows(AllocationRefusedException.class, () -> nodes.acquire(16, 256, Duration.ZERO));
    }

    @Test
    void aMalformedDatabaseIsReportedWithItsPath() throws Exception {
        Path db = dir.resolve("bad.json");
        Files.writeString(db, "[ {\"name\": \"x\"} ]");
        var e = assertThrows(RuntimeException.class, () -> ExecutorsDatabase.load(db));
        assertEquals(true, e.getMessage().contains("bad.json"), e.getMessage());
    }

    @Test
    void hotTimeoutIsInMicrosecondsWithTwoSpecialValues() {
        assertEquals(-1, HotTimeout.ALWAYS_HOT.micros());
        assertEquals(0, HotTimeout.ALWAYS_WARM.micros());
        assertEquals(1500, HotTimeout.of(Duration.ofNanos(1_500_000)).micros());
        assertThrows(IllegalArgumentException.class, () -> HotTimeout.ofMicros(-2));
    }

    @Test
    void specsAndPackagesAreValidated() throws Exception {
        Path jar = dir.resolve("f.jar");
        Files.write(jar, new byte[] {1, 2, 3});
        Path so = dir.resolve("libf.so");
        Files.write(so, new byte[] {4});
        assertEquals(PackageKind.JAR, FunctionPackage.of(jar, List.of()).kind());
        assertEquals(PackageKind.NATIVE, FunctionPackage.of(so, List.of("f")).kind());
        assertThrows(IllegalArgumentException.class, () -> FunctionPackage.nativeLibrary(so, List.of()));
        assertThrows(IllegalArgumentException.class, () -> FunctionPackage.nativeLibrary(so, List.of("bad name")));
        FunctionPackage pkg = FunctionPackage.jar(jar);
        assertThrows(IllegalArgumentException.class, () -> AllocationSpec.of(0, 1, HotTimeout.ALWAYS_WARM, pkg, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> AllocationSpec.of(1, 1, HotTimeout.ALWAYS_WARM, pkg, -1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> AllocationSpec.of(1, 1, HotTimeout.ALWAYS_WARM, pkg, 1, 1).withSlotsPerWorker(0));
        assertEquals(AllocationSpec.DEFAULT_SLOTS_PER_WORKER,
                AllocationSpec.of(1, 1, HotTimeout.ALWAYS_WARM, pkg, 1, 1).slotsPerWorker());
    }
}
