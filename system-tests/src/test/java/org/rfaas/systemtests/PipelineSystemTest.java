package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorLostException;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.Pipeline;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.ScatterGather;
import org.rfaas.client.WaitMode;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.LeaseRecord;
import org.rfaas.transport.IdleStrategy;

/**
 * Pipelined and scattered invocations over one transport, with the executor manager in this JVM
 * and real executor JVMs: 64 calls in flight per worker come back correct and in offer order per
 * worker, scatter / gather parts land in their places, and killing the executor mid-batch fails
 * every pending call with {@link ExecutorLostException} (none hangs). Subclasses pick the transport.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
abstract class PipelineSystemTest {
    static final int DEPTH = 64;
    InProcessNode node;
    ExecutorManager manager;
    RfaasClient client;
    Path jar;

    /** The manager's listen address, e.g. {@code tcp://127.0.0.1:0}. */
    abstract String listenAddress();

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("pipeline", listenAddress(), 4, 4096, c -> c.withGracePeriodMillis(3000).withSpareExecutors(0));
        manager = node.manager;
        client = node.client;
        jar = ExamplePackages.writeJar(node.dir.resolve("examples.jar"));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private RemoteExecutor allocate(int cores) {
        return client.allocate(AllocationSpec.of(cores, 256, HotTimeout.ofMicros(5_000), FunctionPackage.jar(jar),
                1024, 1024).withSlotsPerWorker(DEPTH));
    }

    /** Records what the handler saw: results checked against the input each call id was sent with. */
    static final class Recorder implements Pipeline.Handler {
        final int[] outcomes; // 0 none, 1 ok, 2 failed
        final long[] lastPerWorker;
        final List<RfaasException> failures = new ArrayList<>();
        boolean outOfOrder;
        String wrong;

        Recorder(int calls, int workers) {
            outcomes = new int[calls];
            lastPerWorker = new long[workers];
            java.util.Arrays.fill(lastPerWorker, -1);
        }

        private void order(long callId, int worker) {
            if (outcomes[(int) callId] != 0 && wrong == null) {
                wrong = "call " + callId + " completed twice";
            }
            if (callId <= lastPerWorker[worker]) {
                outOfOrder = true;
            }
            lastPerWorker[worker] = callId;
        }

        @Override
        public void onReply(long callId, int worker, MemorySegment output) {
            order(callId, worker);
            outcomes[(int) callId] = 1;
            long expected = callId * 0x9E3779B97F4A7C15L;
            if (output.byteSize() != 16 || output.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != callId
                    || output.get(ValueLayout.JAVA_LONG_UNALIGNED, 8) != expected) {
                wrong = wrong == null ? "call " + callId + " got a wrong output of " + output.byteSize() + " bytes" : wrong;
            }
        }

        @Override
        public void onFailure(long callId, int worker, RfaasException error) {
            order(callId, worker);
            outcomes[(int) callId] = 2;
            failures.add(error);
        }
    }

    @Test
    void sixtyFourInFlightPerWorkerComeBackCorrectAndInOrder() {
        try (RemoteExecutor e = allocate(2); Arena arena = Arena.ofConfined()) {
            int fn = e.functionIndex("echo");
            int calls = 5_000;
            Recorder r = new Recorder(calls, 2);
            MemorySegment input = arena.allocate(16);
            int maxInFlight = 0;
            try (Pipeline p = e.pipeline(DEPTH)) {
                long next = 0;
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (next < calls || p.inFlight() > 0) {
                    while (next < calls) {
                        input.set(ValueLayout.JAVA_LONG, 0, next);
                        input.set(ValueLayout.JAVA_LONG, 8, next * 0x9E3779B97F4A7C15L);
                        if (!p.offer(fn, input, next)) {
                            break;
                        }
                        next++;
                    }
                    maxInFlight = Math.max(maxInFlight, p.inFlight());
                    if (p.poll(r) == 0) {
                        Thread.onSpinWait();
                    }
                    assertTrue(System.nanoTime() < deadline, "pipeline stalled at " + next + " offered, "
                            + p.inFlight() + " in flight");
                }
            }
            assertEquals(null, r.wrong);
            assertTrue(r.failures.isEmpty(), () -> "failures: " + r.failures);
            assertTrue(!r.outOfOrder, "a worker's replies were handed out of offer order");
            for (int i = 0; i < calls; i++) {
                assertEquals(1, r.outcomes[i], "call " + i);
            }
            assertEquals(2 * DEPTH, maxInFlight, "the pipeline should fill 64 slots on each of 2 workers");
            // the executor's slots are all back: blocking calls still work
            assertArrayEquals(new byte[] {7}, e.invoke("echo", new byte[] {7}));
        }
    }

    @Test
    void aFailingCallInThePipelineFailsAloneAndInItsPlace() {
        try (RemoteExecutor e = allocate(1); Pipeline p = e.pipeline(DEPTH)) {
            int echo = e.functionIndex("echo");
            int fail = e.functionIndex("fail");
            Recorder r = new Recorder(DEPTH, 1);
            MemorySegment input = MemorySegment.ofArray(new long[2]);
            for (long id = 0; id < DEPTH; id++) {
                input.set(ValueLayout.JAVA_LONG, 0, id);
                input.set(ValueLayout.JAVA_LONG, 8, id * 0x9E3779B97F4A7C15L);
                assertTrue(p.offer(0, id == 17 ? fail : echo, input, id));
            }
            assertTrue(!p.offer(0, echo, input, 99), "a 65th call must not fit a 64-deep worker");
            p.drain(r, IdleStrategy.BUSY_SPIN);
            assertEquals(1, r.failures.size());
            assertInstanceOf(FunctionFailedException.class, r.failures.getFirst());
            assertEquals(2, r.outcomes[17]);
            assertTrue(!r.outOfOrder);
            assertEquals(null, r.wrong);
        }
    }

    @Test
    void scatterAndGatherPutEachPartInItsPlace() throws Exception {
        try (RemoteExecutor e = allocate(3); Arena arena = Arena.ofConfined()) {
            ScatterGather sg = e.scatterGather("echo");
            MemorySegment in = arena.allocate(3 * 64);
            MemorySegment out = arena.allocate(3 * 64);
            int[] lengths = new int[3];
            for (int round = 0; round < 100; round++) {
                for (int part = 0; part < 3; part++) {
                    in.set(ValueLayout.JAVA_LONG, part * 64L, round * 10L + part);
                }
                WaitMode mode = round % 2 == 0 ? WaitMode.HOT : WaitMode.WARM;
                sg.gather(in, 64, 8 + round % 9, 3, out, 64, lengths, mode);
                for (int part = 0; part < 3; part++) {
                    assertEquals(8 + round % 9, lengths[part]);
                    assertEquals(round * 10L + part, out.get(ValueLayout.JAVA_LONG, part * 64L), "round " + round);
                }
            }
            long[] sum = new long[1];
            sg.reduce(in, 64, 8, 3, (part, output) -> sum[0] += output.get(ValueLayout.JAVA_LONG_UNALIGNED, 0),
                    WaitMode.HOT);
            assertEquals(990 + 991 + 992, sum[0]);
            for (int round = 0; round < 50; round++) {
                List<byte[]> inputs = List.of(("a" + round).getBytes(), ("b" + round).getBytes(), ("c" + round).getBytes());
                List<byte[]> outputs = e.scatter("echo", inputs).get(10, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(inputs.get(i), outputs.get(i));
                }
            }
            // several asynchronous calls per worker, completed by the waiting thread
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            for (int i = 0; i < 3 * DEPTH; i++) {
                futures.add(e.invokeAsync("echo", ("x" + i).getBytes(StandardCharsets.US_ASCII)));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertArrayEquals(("x" + i).getBytes(StandardCharsets.US_ASCII), futures.get(i).get(10, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void killingTheExecutorMidBatchFailsEveryPendingCallWithExecutorLost() throws Exception {
        RemoteExecutor e = allocate(2);
        int sleep = e.functionIndex("sleep");
        // one slot per worker stays free for the asynchronous call below
        int calls = 2 * (DEPTH - 1);
        Recorder r = new Recorder(calls, 2);
        MemorySegment input = MemorySegment.ofArray("20".getBytes(StandardCharsets.US_ASCII));
        Pipeline p = e.pipeline(DEPTH - 1);
        for (long id = 0; id < calls; id++) {
            assertTrue(p.offer(sleep, input, id), "call " + id);
        }
        CompletableFuture<byte[]> async = e.invokeAsync("sleep", "20".getBytes(StandardCharsets.US_ASCII), 0);
        long polls = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < polls) {
            p.poll(r); // about 10 calls per worker finish before the kill
        }
        LeaseRecord lease = manager.activeLeases().iterator().next();
        ProcessHandle.of(lease.executorPid()).orElseThrow().destroyForcibly();
        long killed = System.nanoTime();
        while (p.inFlight() > 0) {
            p.poll(r);
            assertTrue(System.nanoTime() - killed < 10_000_000_000L, p.inFlight() + " calls still pending 10 s after the kill");
        }
        long failedAfterMillis = (System.nanoTime() - killed) / 1_000_000;
        assertTrue(failedAfterMillis < 3_000, "pending calls failed " + failedAfterMillis + " ms after SIGKILL");
        int ok = 0;
        for (int outcome : r.outcomes) {
            assertTrue(outcome != 0, "every call has an outcome");
            ok += outcome == 1 ? 1 : 0;
        }
        assertTrue(ok < calls, "the kill came after every call had finished: nothing was tested");
        assertEquals(calls - ok, r.failures.size());
        for (RfaasException f : r.failures) {
            assertInstanceOf(ExecutorLostException.class, f);
        }
        assertTrue(!r.outOfOrder);
        ExecutionException x = assertThrows(ExecutionException.class, () -> async.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ExecutorLostException.class, x.getCause());
        assertThrows(ExecutorLostException.class, () -> p.offer(sleep, input, 0));
        ScatterGather sg = e.scatterGather("echo");
        assertThrows(ExecutorLostException.class, () -> sg.gather(MemorySegment.ofArray(new byte[4]), 2, 2, 2,
                MemorySegment.ofArray(new byte[8]),
                4, new int[2], WaitMode.HOT));
        p.close();
        e.close();
    }

}
