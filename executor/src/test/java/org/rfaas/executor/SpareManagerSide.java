package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.PackageDigest;
import org.rfaas.protocol.PackageKind;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;

/** Tests playing an executor manager: the first steps with a spare executor. */
final class SpareManagerSide {
    private SpareManagerSide() {
    }

    /** A listener on {@code transport} where an executor's manager link arrives. */
    static Listener managerListener(Transport transport) {
        return transport.listen("tcp://127.0.0.1:0", new ConnectionSpec(2, 16 * 1024, AccountingCounters.COUNT));
    }

    /** A listener on {@code transport} where a client takes an executor's workers (64-byte outputs). */
    static Listener clientListener(Transport transport) {
        return transport.listen("tcp://127.0.0.1:0", new ConnectionSpec(3, ReplyHeader.resultSlotSize(64), 0));
    }

    /**
     * Accepts {@code executor}'s manager connection, checks its hello carries {@code secret}, and
     * waits (up to 30 s) for its warm-up to finish; returns the connection.
     */
    static Connection acceptAfterWarmUp(Listener managerSide, Executor executor, long secret)
            throws InterruptedException {
        Connection manager = managerSide.accept(Duration.ofSeconds(30));
        assertNotNull(manager, "the executor did not connect to its manager");
        Completion c = new Completion();
        assertTrue(manager.await(c, TimeUnit.SECONDS.toNanos(30)));
        assertEquals(secret, ExecutorHello.decode(manager.receiveSlot(c.slot()), 0, c.length()).secret());
        manager.release(c.slot());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!executor.warmedUp() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return manager;
    }

    /**
     * Assigns a one-core lease of {@code jar} to the spare behind {@code manager}, its client at
     * {@code clientSide}; returns the worker's connection once its hello announced {@code functions}.
     */
    static Connection assignAndAwaitHello(Connection manager, MemorySegment control, Listener clientSide, Path jar,
            List<String> functions) {
        int n = new ExecutorAssignment(3, 9, new ExecutorShape(1, 64, 0, 2, 64, 64), PackageKind.JAR, PackageDigest.NONE, 10,
                clientSide.address(), jar.toAbsolutePath().toString(), List.of()).encode(control, 0);
        manager.write(0, control, 0, n, 0);
        Connection worker = clientSide.accept(Duration.ofSeconds(30));
        assertNotNull(worker, "the worker did not connect");
        Completion c = new Completion();
        assertTrue(worker.await(c, TimeUnit.SECONDS.toNanos(30)), "no hello");
        WorkerHello hello = WorkerHello.decode(worker.receiveSlot(c.slot()), 0, c.length());
        worker.release(c.slot());
        assertEquals(functions, hello.functions());
        return worker;
    }

    /** Releases the spare's lease and checks that its {@code thread} ends with exit code 0. */
    static void release(Connection manager, MemorySegment control, Thread thread, AtomicInteger exit)
            throws InterruptedException {
        int n = ExecutorShutdown.write(control, 0, LeaseEndReason.RELEASED);
        manager.write(0, control, 0, n, 0);
        thread.join(Duration.ofSeconds(30));
        assertEquals(0, exit.get(), "executor exit code");
    }
}
