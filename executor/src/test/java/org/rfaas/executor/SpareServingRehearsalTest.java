package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * A spare rehearses serving over the transports a lease may use before its lease, with correct
 * echoes, gives way to the lease between two calls, and then serves the lease.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpareServingRehearsalTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp", "fabric:tcp"})
    void theRehearsalServesCheckedEchoesAndStopsBetweenTwoCallsOnceALeaseArrives(String name) throws Exception {
        FunctionTable training = FunctionTable.loadJar(ExecutorTraining.writePackage(dir.resolve("training.jar")));
        try (Transport transport = Transports.open(name)) {
            AtomicInteger asked = new AtomicInteger();
            // The lease "arrives" when asked for the 101st time: exactly 100 calls were made.
            int calls = SpareServingRehearsal.run(transport, name, training, () -> asked.incrementAndGet() > 100);
            assertEquals(100, calls);
            assertTrue(SpareServingRehearsal.run(transport, name, training, () -> false) > 0, "a second round");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void aSpareRehearsesBeforeItsLeaseAndThenServesIt(String name) throws Exception {
        Path jar = FunctionTableTest.jarOf(dir.resolve("upper.jar"), TestFunctions.Upper.class);
        AtomicInteger exit = new AtomicInteger(-1);
        String any = name.equals("tcp") ? "tcp://127.0.0.1:0" : "shm:";
        try (Transport transport = Transports.open(name);
             Listener managerSide = transport.listen(any, new ConnectionSpec(2, 16 * 1024, AccountingCounters.COUNT));
             Listener clientSide = transport.listen(any, new ConnectionSpec(3, ReplyHeader.resultSlotSize(64), 0))) {
            Executor executor = new Executor(managerSide.address(), 5, true, List.of());
            Thread thread = Thread.ofPlatform().name("test-executor").start(() -> exit.set(executor.run()));
            Connection manager = SpareManagerSide.acceptAfterWarmUp(managerSide, executor, 5);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (executor.rehearsedCalls() == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertTrue(executor.rehearsedCalls() > 0, "the spare rehearsed no call before its lease");
            MemorySegment control = manager.allocateBuffer(manager.peerSpec().slotSize());
            Connection worker = SpareManagerSide.assignAndAwaitHello(manager, control, clientSide, jar,
                    List.of("upper"));
            SpareManagerSide.release(manager, control, thread, exit);
            worker.close();
            manager.close();
        }
    }

    @Test
    void theCompilersAreQuietOnceTheirTimeStoodStillForTheSpan() {
        long[] total = {5};
        long[] now = {0};
        SpareServingRehearsal.JitQuiet jit = new SpareServingRehearsal.JitQuiet(() -> total[0], () -> now[0]);
        Duration span = Duration.ofMillis(300);
        assertFalse(jit.quietFor(span), "the first look sees a change");
        now[0] += span.toNanos() - 1;
        assertFalse(jit.quietFor(span));
        now[0] += 1;
        assertTrue(jit.quietFor(span));
        total[0] = 6; // a compile finished
        assertFalse(jit.quietFor(span));
        now[0] += span.toNanos();
        assertTrue(jit.quietFor(span));
        assertTrue(new SpareServingRehearsal.JitQuiet(null, () -> 0).quietFor(span), "without the figure: quiet");
    }
}
