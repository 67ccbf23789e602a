package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A client keeps the worker listener of a successful allocation for its next allocation of the
 * same shape (opening one is part of every cold start), and a connection left on it by an earlier
 * lease is dropped at its hello rather than taken for the new lease's worker. The test plays the
 * executor manager and the executors.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerReuseTest {
    @TempDir
    Path dir;

    @Test
    void theNextAllocationReusesTheListenerAndDropsALateWorkerOfTheLastLease() throws Exception {
        try (Transport tcp = Transports.open("tcp");
             Listener manager = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 8192, 0));
             RfaasClient client = RfaasClient.builder().leaseSource(new ExecutorsDatabase(List.of(
                     new ExecutorNode("n0", manager.address(), 4, 4096)))).allocationTimeout(Duration.ofSeconds(30))
                     .build()) {
            AllocationSpec spec = AllocationSpec.of(1, 256, HotTimeout.ofMicros(0),
                    FunctionPackage.jar(Files.write(dir.resolve("f.jar"), new byte[] {1, 2, 3})), 64, 64);

            CompletableFuture<RemoteExecutor> first = CompletableFuture.supplyAsync(() -> client.allocate(spec));
            Connection control1 = manager.accept(Duration.ofSeconds(30));
            AllocationRequest request1 = PollerThreadStartTest.takeRequestAndPackage(control1);
            answer(control1, 1);
            Connection worker1 = connectWorker(tcp, request1, 1, List.of("f"));
            assertEquals(List.of("f"), first.get(30, TimeUnit.SECONDS).functions());

            CompletableFuture<RemoteExecutor> second = CompletableFuture.supplyAsync(() -> client.allocate(spec));
            Connection control2 = manager.accept(Duration.ofSeconds(30));
            AllocationRequest request2 = PollerThreadStartTest.takeRequestAndPackage(control2);
            assertEquals(request1.clientAddress(), request2.clientAddress(), "the listener was not kept");
            answer(control2, 2);
            // A worker of lease 1 that connects late (first): its hello names lease 1, not lease 2.
            Connection late = connectWorker(tcp, request2, 1, List.of("stale"));
            Connection worker2 = connectWorker(tcp, request2, 2, List.of("g"));
            assertEquals(List.of("g"), second.get(30, TimeUnit.SECONDS).functions());

            // Another output capacity needs another listener (its result slots differ).
            CompletableFuture<RemoteExecutor> third = CompletableFuture.supplyAsync(() -> client.allocate(
                    AllocationSpec.of(1, 256, HotTimeout.ofMicros(0), spec.functionPackage(), 64, 1 << 20)));
            Connection control3 = manager.accept(Duration.ofSeconds(30));
            AllocationRequest request3 = PollerThreadStartTest.takeRequestAndPackage(control3);
            assertNotEquals(request1.clientAddress(), request3.clientAddress());
            answer(control3, 3);
            Connection worker3 = connectWorker(tcp, request3, 3, List.of("h"));
            assertEquals(List.of("h"), third.get(30, TimeUnit.SECONDS).functions());
            for (Connection c : List.of(worker1, late, worker2, worker3, control1, control2, control3)) {
                c.close();
            }
        }
    }

    private static void answer(Connection control, long lease) {
        MemorySegment buffer = control.allocateBuffer(8192);
        control.write(0, buffer, 0, new AllocationResponse(lease, System.currentTimeMillis() + 60_000,
                AllocationRefusal.NONE, "").encode(buffer, 0), 0);
    }

    /** Connects a worker of {@code lease} to the client named in {@code request} and says hello. */
    private static Connection connectWorker(Transport tcp, AllocationRequest request, long lease, List<String> functions) {
        Connection worker = tcp.connect(request.clientAddress(), new ConnectionSpec(2, 128, 0), Duration.ofSeconds(10));
        MemorySegment hello = worker.allocateBuffer(1024);
        int n = new WorkerHello(lease, request.nonce(), 0, 1, request.shape().slotsPerWorker(), functions).encode(hello, 0);
        worker.write(0, hello, 0, n, 0);
        return worker;
    }
}
