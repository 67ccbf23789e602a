package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Connections to a client's worker listener that finish the transport handshake but never say
 * hello (each holds the lease's receive slots) are bounded: past one per core plus
 * {@link WorkerHellos#MAX_EXTRA_UNPROVEN_WORKERS}, the oldest are closed, and the real worker's
 * hello still completes the allocation. The test plays the executor manager and the executor.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerListenerFloodTest {
    private static final int FLOOD = 60;

    /** Whether the client closed {@code f} (a closed flood connection stays closed). */
    private static boolean isClosed(Connection f, Completion c) {
        try {
            f.poll(c);
            return false;
        } catch (PeerFailedException e) {
            return true;
        }
    }

    @TempDir
    Path dir;

    @Test
    void connectionsThatNeverSayHelloAreBoundedAndTheWorkerStillGetsIn() throws Exception {
        Path jar = Files.write(dir.resolve("f.jar"), new byte[] {1, 2, 3});
        try (Transport tcp = Transports.open("tcp");
             Listener manager = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 8192, 0));
             RfaasClient client = RfaasClient.builder().leaseSource(new ExecutorsDatabase(List.of(
                     new ExecutorNode("n0", manager.address(), 1, 1024)))).allocationTimeout(Duration.ofSeconds(30))
                     .build()) {
            CompletableFuture<RemoteExecutor> allocation = CompletableFuture.supplyAsync(() -> client.allocate(
                    AllocationSpec.of(1, 256, HotTimeout.ofMicros(0), FunctionPackage.jar(jar), 64, 64)));
            Connection control = manager.accept(Duration.ofSeconds(30));
            Completion c = new Completion();
            AllocationRequest request = PollerThreadStartTest.takeRequestAndPackage(control);
            MemorySegment buffer = control.allocateBuffer(8192);
            control.write(0, buffer, 0, new AllocationResponse(7, System.currentTimeMillis() + 60_000,
                    AllocationRefusal.NONE, "").encode(buffer, 0), 0);

            // A flood of handshaken connections that never send a hello.
            ConnectionSpec workerSpec = new ConnectionSpec(2, 64 + 64, 0);
            List<Connection> flood = new ArrayList<>();
            for (int i = 0; i < FLOOD; i++) {
                flood.add(tcp.connect(request.clientAddress(), workerSpec, Duration.ofSeconds(10)));
            }
            // While the allocation waits, the client closes the oldest of them beyond its bound.
            int closedEarly = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() - deadline < 0) {
                closedEarly = 0;
                for (Connection f : flood) {
                    if (isClosed(f, c)) {
                        closedEarly++;
                    }
                }
                if (closedEarly >= FLOOD - 1 - WorkerHellos.MAX_EXTRA_UNPROVEN_WORKERS) {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals(FLOOD - 1 - WorkerHellos.MAX_EXTRA_UNPROVEN_WORKERS, closedEarly,
                    "connections without a hello closed while the allocation waited");
            // The real worker: its hello completes the allocation.
            Connection worker = tcp.connect(request.clientAddress(), workerSpec, Duration.ofSeconds(10));
            MemorySegment hello = worker.allocateBuffer(1024);
            int n = new WorkerHello(7, request.nonce(), 0, 1, request.shape().slotsPerWorker(), List.of("f")).encode(hello, 0);
            worker.write(0, hello, 0, n, 0);
            RemoteExecutor executor = allocation.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("f"), executor.functions());

            int closed = 0;
            for (Connection f : flood) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!isClosed(f, c) && System.nanoTime() - until < 0) {
                    Thread.sleep(10);
                }
                closed += isClosed(f, c) ? 1 : 0;
                f.close();
            }
            assertEquals(FLOOD, closed, "connections without a hello left open after the allocation");
            worker.close();
            control.close();
        }
    }
}
