package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void aDatabaseIsExactlyAListOfNodesWithTheFourFields() throws Exception {
        String node = "\"name\": \"n\", \"address\": \"tcp://127.0.0.1:7000\", \"cores\": 1, \"memoryMiB\": 64";
        for (String[] bad : new String[][] {
            {"{" + node + "}", "expected a list of executor nodes"},
            {"[ {" + node + ", \"gpus\": 1} ]", "unknown field 'gpus'"},
            {"[ {\"name\": \"n\", \"address\": \"tcp://127.0.0.1:7000\", \"cores\": \"1\", \"memoryMiB\": 64} ]",
                "a whole number for cores"},
            {"[ {\"name\": \"n\", \"address\": 7, \"cores\": 1, \"memoryMiB\": 64} ]", "a string for address"},
            {"[ {\"name\": \"n\", \"cores\": 1, \"memoryMiB\": 64} ]", "without an address"},
            {"[ {" + node + "} ] [", "text after the list"},
            {"[ {" + node + "}, 3 ]", "expected an executor node object"},
            {"[ {" + node + "}", "end"},
            {"[]", "lists no executor"}}) {
            Path db = dir.resolve("bad.json");
            Files.writeString(db, bad[0]);
            var e = assertThrows(java.io.UncheckedIOException.class, () -> ExecutorsDatabase.load(db), bad[0]);
            assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void aDatabaseNamesTheTransportsOfItsNodesOnceEach() throws Exception {
        ExecutorsDatabase db = new ExecutorsDatabase(List.of(new ExecutorNode("a", "fabric:tcp://127.0.0.1:1", 1, 1),
                new ExecutorNode("b", "tcp://127.0.0.1:2", 1, 1), new ExecutorNode("c", "fabric:tcp://127.0.0.1:3", 1, 1),
                new ExecutorNode("d", "no-transport-named", 1, 1), new ExecutorNode("e", "shm:/tmp/e.sock", 1, 1)));
        assertEquals(List.of("fabric:tcp", "tcp", "shm"), db.transports());
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
