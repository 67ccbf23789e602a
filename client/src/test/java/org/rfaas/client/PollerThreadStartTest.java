package org.rfaas.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.PackageAck;
import org.rfaas.protocol.PackageChunk;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * An allocation starts its executor's poller thread while it waits for the manager's answer, not
 * between the workers' hellos and the first call; a refused allocation's thread ends. The test
 * plays the executor manager and the executor.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PollerThreadStartTest {
    private static final long LEASE = 11;

    @TempDir
    Path dir;

    private static Optional<Thread> threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst();
    }

    @Test
    void thePollerThreadRunsBeforeTheManagerAnswersAndServesTheExecutor() throws Exception {
        try (Transport tcp = Transports.open("tcp");
             Listener manager = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 8192, 0));
             RfaasClient client = client(manager)) {
            CompletableFuture<RemoteExecutor> allocation = allocate(client);
            Connection control = manager.accept(Duration.ofSeconds(30));
            AllocationRequest request = takeRequestAndPackage(control);
            // Not answered yet: the allocation waits, and its poller thread already runs.
            Thread waiting = awaitThread("rfaas-client-poller");
            MemorySegment buffer = control.allocateBuffer(8192);
            control.write(0, buffer, 0, new AllocationResponse(LEASE, System.currentTimeMillis() + 60_000,
                    AllocationRefusal.NONE, "").encode(buffer, 0), 0);
            Connection worker = tcp.connect(request.clientAddress(), new ConnectionSpec(2, 128, 0),
                    Duration.ofSeconds(10));
            MemorySegment hello = worker.allocateBuffer(1024);
            int n = new WorkerHello(LEASE, request.nonce(), 0, 1, request.shape().slotsPerWorker(), List.of("f"))
                    .encode(hello, 0);
            worker.write(0, hello, 0, n, 0);
            RemoteExecutor executor = allocation.get(30, TimeUnit.SECONDS);
            assertEquals(List.of("f"), executor.functions());
            assertEquals("rfaas-client-poller-" + LEASE, waiting.getName(), "the waiting thread polls for the executor");
            assertTrue(waiting.isAlive());
            worker.close();
            control.close();
        }
    }

    @Test
    void aRefusedAllocationsPollerThreadEnds() throws Exception {
        try (Transport tcp = Transports.open("tcp");
             Listener manager = tcp.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 8192, 0));
             RfaasClient client = client(manager)) {
            CompletableFuture<RemoteExecutor> allocation = allocate(client);
            Connection control = manager.accept(Duration.ofSeconds(30));
            takeRequestAndPackage(control);
            Thread waiting = awaitThread("rfaas-client-poller");
            MemorySegment buffer = control.allocateBuffer(8192);
            control.write(0, buffer, 0, new AllocationResponse(0, 0, AllocationRefusal.INSUFFICIENT_CAPACITY, "full")
                    .encode(buffer, 0), 0);
            ExecutionException e = assertThrows(ExecutionException.class, () -> allocation.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof AllocationRefusedException, e.toString());
            waiting.join(Duration.ofSeconds(10));
            assertFalse(waiting.isAlive(), "a refused allocation's poller thread still runs");
            control.close();
        }
    }

    private RfaasClient client(Listener manager) {
        return RfaasClient.builder().leaseSource(new ExecutorsDatabase(List.of(new ExecutorNode("n0",
                manager.address(), 1, 1024)))).allocationTimeout(Duration.ofSeconds(30)).build();
    }

    private CompletableFuture<RemoteExecutor> allocate(RfaasClient client) throws Exception {
        Path jar = Files.write(dir.resolve("f.jar"), new byte[] {1, 2, 3});
        return CompletableFuture.supplyAsync(() -> client.allocate(
                AllocationSpec.of(1, 256, HotTimeout.ofMicros(0), FunctionPackage.jar(jar), 64, 64)));
    }

    /** Plays the manager: reads the request, acknowledges it, and reads the package's one chunk. */
    static AllocationRequest takeRequestAndPackage(Connection control) {
        Completion c = new Completion();
        assertTrue(control.await(c, TimeUnit.SECONDS.toNanos(30)));
        AllocationRequest request = AllocationRequest.decode(control.receiveSlot(c.slot()), 0, c.length());
        control.release(c.slot());
        MemorySegment buffer = control.allocateBuffer(8192);
        control.write(0, buffer, 0, PackageAck.write(buffer, 0, 0), 0);
        assertTrue(control.await(c, TimeUnit.SECONDS.toNanos(30)));
        PackageChunk.validate(control.receiveSlot(c.slot()), 0, c.length(), 0, request.packageSize());
        control.release(c.slot());
        return request;
    }

    private static Thread awaitThread(String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Optional<Thread> t = threadNamed(name);
        while (t.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
            t = threadNamed(name);
        }
        assertTrue(t.isPresent(), "no thread " + name + " while the allocation waits");
        return t.get();
    }
}
