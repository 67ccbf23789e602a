package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.executor.Executor;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A replacement spare JVM does not boot beside a cold start while another spare is ready: it
 * starts once the lease's executor reported its workers connected. The client here is written out
 * by hand so that it can hold the worker connection back (a lease that stays "starting").
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeferredSpareBootTest {
    private static final long NONCE = 99;

    @TempDir
    Path dir;
    ExecutorManager manager;
    Transport tcp;

    @AfterEach
    void close() {
        HandWrittenClient.closeAll(manager, tcp);
    }

    @Test
    void replacementSpareBootsAfterTheStartingLeaseIsConnected() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 4, 4096, dir)
                .withSpareExecutors(2).withSpareMemoryMiB(128), null);
        // The lease below stays starting until the test accepts its worker; the fallback must not
        // release the held-back boot first, however slow this machine is.
        manager.readyWait(Duration.ofSeconds(60));
        String address = startWithTwoConnectedSpares();
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0",
                new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            HandWrittenClient.allocate(control, control.allocateBuffer(8192), jar, clientSide.address(), NONCE);
            // The lease took one spare; the other is ready, so its replacement waits for this lease,
            // whose worker the client has not accepted yet.
            Thread.sleep(1_000);
            assertEquals(1, manager.spareExecutorPids().size(),
                    "a replacement spare booted while the lease was starting: " + manager.spareExecutorPids());
            Connection worker = clientSide.accept(Duration.ofSeconds(60));
            assertNotNull(worker, "the executor's worker did not connect");
            Completion c = new Completion();
            Await.until(() -> worker.poll(c), "worker hello");
            WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
            assertEquals(List.of("twice"), hello.functions());
            Await.until(() -> manager.spareExecutorPids().size() == 2, "the replacement spare started");
            worker.close();
        }
    }

    @Test
    void replacementSpareWaitsForTheFirstCallAfterTheLeaseIsReady() throws Exception {
        manager = new ExecutorManager(ExecutorManagerConfig.of("n", List.of("tcp://127.0.0.1:0"), 4, 4096, dir)
                .withSpareExecutors(2).withSpareMemoryMiB(128), null);
        manager.readyWait(Duration.ofSeconds(60));
        // Long enough to see from here; the real grace is tens of ms, while the client's first call runs.
        manager.firstCallGrace(Duration.ofSeconds(3));
        CountDownLatch ready = new CountDownLatch(1);
        manager.addLeaseListener(new LeaseListener() {
            @Override
            public void executorReady(LeaseRecord lease, long coldStartNanos, boolean spare) {
                ready.countDown();
            }
        });
        String address = startWithTwoConnectedSpares();
        byte[] jar = HandWrittenClient.packageJar(dir.resolve("f.jar"));
        try (Listener clientSide = tcp.listen("tcp://127.0.0.1:0",
                new ConnectionSpec(3, org.rfaas.protocol.ReplyHeader.resultSlotSize(64), 0));
             Connection control = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            HandWrittenClient.allocate(control, control.allocateBuffer(8192), jar, clientSide.address(), NONCE);
            Connection worker = clientSide.accept(Duration.ofSeconds(60));
            assertNotNull(worker, "the executor's worker did not connect");
            assertTrue(ready.await(60, TimeUnit.SECONDS), "the executor did not report ready");
            long readyAt = System.nanoTime();
            Thread.sleep(1_000);
            if (System.nanoTime() - readyAt < TimeUnit.MILLISECONDS.toNanos(2_500)) {
                assertEquals(1, manager.spareExecutorPids().size(),
                        "a replacement spare booted within the first call's grace: " + manager.spareExecutorPids());
            }
            Await.until(() -> manager.spareExecutorPids().size() == 2, "the replacement spare started after the grace");
            worker.close();
        }
    }

    /** Starts {@link #manager}, waits until both its spares are connected; returns its address. */
    private String startWithTwoConnectedSpares() throws Exception {
        String address = manager.start().getFirst();
        Await.until(() -> manager.connectedSpareCount() == 2, "2 spares connected");
        tcp = Transports.open("tcp");
        return address;
    }
}
