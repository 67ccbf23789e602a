package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InputTooLargeException;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.LeaseExpiredException;
import org.rfaas.client.OutputTooLargeException;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.UnknownFunctionException;
import org.rfaas.client.WaitMode;
import org.rfaas.examples.ExamplePackages;
import org.rfaas.protocol.LeaseAccounting;

/**
 * End to end over one transport: a real executor manager JVM, real executor JVMs, Java and native
 * functions. Subclasses pick the transport.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class InvocationSystemTest {
    Path dir;
    ManagerProcess manager;
    RfaasClient client;
    Path jar;
    Path nativeLibrary;
    /** Shared by most tests: 2 cores, warm after 2 ms. */
    RemoteExecutor shared;

    /** The listen address of the manager, e.g. {@code tcp://127.0.0.1:0}. */
    abstract String listenAddress();

    @BeforeAll
    void start() throws Exception {
        dir = SystemTestSupport.tempDir(getClass().getSimpleName());
        manager = ManagerProcess.start(dir, SystemTestSupport.managerConfig("node0", listenAddress(), 6, 4096,
                dir.resolve("work"), 3000), 1);
        // The database claims more than the node has, so that the manager's own capacity check is exercised.
        client = RfaasClient.builder()
                .leaseSource(SystemTestSupport.database("node0", manager.addresses.getFirst(), 8, 8192)).build();
        jar = ExamplePackages.writeJar(dir.resolve("examples.jar"));
        nativeLibrary = ExamplePackages.buildNativeLibrary(dir);
        shared = client.allocate(AllocationSpec.of(2, 256, HotTimeout.ofMicros(2_000), FunctionPackage.jar(jar),
                128 * 1024, 128 * 1024));
    }

    @AfterAll
    void stop() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (manager != null) {
                manager.close();
            }
            SystemTestSupport.deleteTree(dir);
        }
    }

    @Test
    void javaFunctionsReturnByteExactResults() {
        Random random = new Random(42);
        for (int size : new int[] {0, 1, 1000, 64 * 1024, 128 * 1024}) {
            byte[] in = new byte[size];
            random.nextBytes(in);
            assertArrayEquals(in, shared.invoke("echo", in), "echo of " + size + " bytes");
            assertArrayEquals(in, shared.invoke("echo", in, WaitMode.WARM), "warm echo of " + size + " bytes");
        }
        assertEquals(0, shared.invoke("noop", new byte[100]).length);
        long[] values = {3, -4, 1 << 20, 7};
        assertEquals(sumOfSquares(values), leLong(shared.invoke("sum-squares", leLongs(values))));
    }

    @Test
    void nativeFunctionsReturnByteExactResults() {
        try (RemoteExecutor c = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM,
                FunctionPackage.nativeLibrary(nativeLibrary, ExamplePackages.NATIVE_FUNCTIONS), 4096, 4096))) {
            assertEquals(ExamplePackages.NATIVE_FUNCTIONS, c.functions());
            byte[] in = "native rFaaS ABI".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(in, c.invoke("echo", in));
            byte[] reversed = new StringBuilder("native rFaaS ABI").reverse().toString().getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(reversed, c.invoke("reverse", in));
            assertEquals(0, c.invoke("noop", in).length);
            long[] values = {1, 2, 3, 1_000_000_007L};
            assertEquals(sumOfSquares(values), leLong(c.invoke("sum_squares", leLongs(values))));
        }
    }

    /**
     * Payloads of 64 KiB to 16 MiB, the last one the whole input and output capacity, come back
     * byte-exact through the zero-copy slots (every slot of the worker, hot and warm) and through
     * {@code invoke(byte[])}; one byte more is refused.
     */
    @Test
    void largePayloadsUpToTheCapacityArriveIntact() {
        int capacity = 16 << 20;
        try (RemoteExecutor big = client.allocate(AllocationSpec.of(1, 256, HotTimeout.ofMicros(2_000),
                FunctionPackage.jar(jar), capacity, capacity))) {
            int echo = big.functionIndex("echo");
            Random random = new Random(7);
            int round = 0;
            for (int size : new int[] {64 << 10, 1 << 20, 5 << 20, capacity}) {
                byte[] in = new byte[size];
                List<InvocationSlot> held = new ArrayList<>();
                try {
                    for (int s = 0; s < AllocationSpec.DEFAULT_SLOTS_PER_WORKER; s++) {
                        InvocationSlot slot = big.acquireSlot(0);
                        held.add(slot);
                        random.nextBytes(in);
                        MemorySegment.copy(in, 0, slot.input(), ValueLayout.JAVA_BYTE, 0, size);
                        WaitMode mode = round++ % 2 == 0 ? WaitMode.HOT : WaitMode.WARM;
                        assertEquals(size, slot.invoke(echo, size, capacity, mode), "echo length of " + size + " bytes");
                        assertArrayEquals(in, slot.output().toArray(ValueLayout.JAVA_BYTE), "echo of " + size
                                + " bytes in slot " + s + " (" + mode + ")");
                    }
                } finally {
                    held.forEach(InvocationSlot::close);
                }
                random.nextBytes(in);
                assertArrayEquals(in, big.invoke("echo", in), "invoke(byte[]) echo of " + size + " bytes");
            }
            assertThrows(InputTooLargeException.class, () -> big.invoke("echo", new byte[capacity + 1]));
        }
    }

    @Test
    void zeroCopySlotWritesInputInPlaceAndReadsOutputInPlace() {
        int fn = shared.functionIndex("sum-squares");
        try (InvocationSlot slot = shared.acquireSlot()) {
            for (long v = 1; v <= 100; v++) {
                slot.input().set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v);
                int n = slot.invoke(fn, 8);
                assertEquals(8, n);
                assertEquals(v * v, slot.output().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            }
        }
    }

    @Test
    void submittedCallsCompleteOnTheCallersThreadWithSeveralInFlightPerWorker() {
        int fn = shared.functionIndex("sum-squares");
        ValueLayout.OfLong le = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        List<InvocationSlot> slots = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                slots.add(shared.acquireSlot(i % 2)); // two calls in flight on each worker
            }
            for (long round = 1; round <= 50; round++) {
                for (int i = 0; i < 4; i++) {
                    slots.get(i).input().set(le, 0, round * 10 + i);
                    slots.get(i).submit(fn, 8, 64);
                }
                assertThrows(IllegalStateException.class, () -> slots.getFirst().submit(fn, 8, 64),
                        "a second call on a slot with one in flight");
                int left = 4;
                boolean[] done = new boolean[4];
                // poll in reverse: a reply for another slot that arrives first is taken in and kept
                while (left > 0) {
                    for (int i = 3; i >= 0; i--) {
                        if (!done[i] && slots.get(i).poll()) {
                            assertEquals(8, slots.get(i).complete());
                            long v = round * 10 + i;
                            assertEquals(v * v, slots.get(i).output().get(le, 0));
                            done[i] = true;
                            left--;
                        }
                    }
                }
            }
            InvocationSlot s = slots.getFirst();
            s.input().set(le, 0, 12);
            s.submit(fn, 8, 64);
            assertEquals(8, s.await(WaitMode.WARM));
            assertEquals(144, s.output().get(le, 0));
            assertThrows(IllegalStateException.class, s::poll, "poll without a call in flight");
            s.input().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 'x');
            s.submit(shared.functionIndex("fail"), 1, 64);
            assertThrows(FunctionFailedException.class, () -> s.await(WaitMode.HOT));
            s.input().set(le, 0, 5);
            assertEquals(8, s.invoke(fn, 8));
            assertEquals(25, s.output().get(le, 0));
        } finally {
            slots.forEach(InvocationSlot::close);
        }
    }

    @Test
    void callerOwnedSegmentsBoundTheOutput() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom("100", StandardCharsets.US_ASCII).asSlice(0, 3);
            MemorySegment out = arena.allocate(200);
            assertEquals(100, shared.invoke("fill", in, out, WaitMode.HOT));
            assertEquals('x', out.get(ValueLayout.JAVA_BYTE, 99));
            MemorySegment small = arena.allocate(10);
            assertThrows(OutputTooLargeException.class, () -> shared.invoke("fill", in, small, WaitMode.HOT));
        }
    }

    @Test
    void asyncCallsPipelineWithSeveralInFlight() throws Exception {
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            futures.add(shared.invokeAsync("sleep", ("" + (20 + i)).getBytes(StandardCharsets.US_ASCII)));
        }
        for (int i = 0; i < 8; i++) {
            assertEquals("" + (20 + i), new String(futures.get(i).get(30, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        }
        List<CompletableFuture<byte[]>> echoes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            echoes.add(shared.invokeAsync("echo", new byte[] {(byte) i, (byte) (i * 3)}));
        }
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(new byte[] {(byte) i, (byte) (i * 3)}, echoes.get(i).get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void scatterSendsOneInputPerCoreWithOneCompletion() throws Exception {
        List<byte[]> inputs = List.of("left".getBytes(StandardCharsets.UTF_8), "right".getBytes(StandardCharsets.UTF_8));
        List<byte[]> outputs = shared.scatter("echo", inputs).get(30, TimeUnit.SECONDS);
        assertEquals(2, outputs.size());
        assertArrayEquals(inputs.get(0), outputs.get(0));
        assertArrayEquals(inputs.get(1), outputs.get(1));
        CompletableFuture<List<byte[]>> failing = shared.scatter("fail", inputs);
        CompletionException e = assertThrows(CompletionException.class, failing::join);
        assertTrue(e.getCause() instanceof FunctionFailedException, e.toString());
    }

    @Test
    void everyFailureIsATypedExceptionAndTheExecutorKeepsServing() {
        FunctionFailedException failed = assertThrows(FunctionFailedException.class,
                () -> shared.invoke("fail", "the input".getBytes(StandardCharsets.UTF_8)));
        assertTrue(failed.remoteMessage().contains("IllegalStateException"), failed.remoteMessage());
        assertTrue(failed.remoteMessage().contains("fail was asked to fail: the input"), failed.remoteMessage());
        // a short input is built outside the worker's slot on shm: the failure still names its function
        assertTrue(failed.getMessage().startsWith("function 'fail': "), failed.getMessage());
        assertThrows(UnknownFunctionException.class, () -> shared.invoke("no-such-function", new byte[1]));
        assertThrows(OutputTooLargeException.class, () -> shared.invoke("fill", "200000".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(InputTooLargeException.class, () -> shared.invoke("echo", new byte[128 * 1024 + 1]));
        FunctionFailedException bad = assertThrows(FunctionFailedException.class,
                () -> shared.invoke("sleep", "not a number".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(bad.remoteMessage().contains("NumberFormatException"), bad.remoteMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, shared.invoke("echo", new byte[] {1, 2, 3}));
    }

    @Test
    void computeTimeCoversTheFunctionsOwnSleeps() {
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                64, 64));
        for (int i = 0; i < 4; i++) {
            e.invoke("sleep", "50".getBytes(StandardCharsets.US_ASCII), WaitMode.WARM);
        }
        LeaseAccounting a = e.release();
        assertTrue(a.computeNanos() >= 200_000_000L, "compute " + a.computeNanos() + " ns < 4 x 50 ms");
        assertEquals(4, a.invocations());
        assertTrue(a.allocationNanos() >= a.computeNanos(), a.toString());
    }

    /**
     * A hot worker reads the clock once for calls that arrive back to back (the last one's end is
     * the next one's start) and twice otherwise: pipelined calls are all billed, and an idle gap
     * between calls is hot polling, not compute.
     */
    @Test
    void hotComputeTimeCountsBackToBackCallsAndNotTheGapsBetweenCalls() throws Exception {
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ofMicros(5_000_000),
                FunctionPackage.jar(jar), 64, 64).withSlotsPerWorker(4));
        int sleep = e.functionIndex("sleep");
        List<InvocationSlot> slots = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                slots.add(e.acquireSlot(0));
            }
            for (InvocationSlot s : slots) {
                s.input().setString(0, "50", StandardCharsets.US_ASCII);
                s.submit(sleep, 2, 64);
            }
            for (InvocationSlot s : slots) {
                s.await(WaitMode.HOT);
            }
        } finally {
            slots.forEach(InvocationSlot::close);
        }
        Thread.sleep(600);
        e.invoke("sleep", "50".getBytes(StandardCharsets.US_ASCII), WaitMode.HOT);
        LeaseAccounting a = e.release();
        assertEquals(5, a.invocations());
        assertTrue(a.computeNanos() >= 250_000_000L, "compute " + a.computeNanos() + " ns < 5 x 50 ms");
        assertTrue(a.computeNanos() < 600_000_000L, "the idle 600 ms were billed as compute: " + a);
        assertTrue(a.hotPollNanos() >= 500_000_000L, "the idle 600 ms were not hot polling: " + a);
    }

    @Test
    void anExpiredLeaseFailsWithLeaseExpired() throws Exception {
        RemoteExecutor e = client.allocate(AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar),
                64, 64).withLeaseDuration(Duration.ofSeconds(10)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        RfaasException last = null;
        while (System.nanoTime() < deadline) {
            try {
                e.invoke("echo", new byte[] {9}, WaitMode.WARM);
                Thread.sleep(100);
            } catch (RfaasException x) {
                last = x;
                break;
            }
        }
        assertTrue(last instanceof LeaseExpiredException, String.valueOf(last));
        e.close();
    }

    @Test
    void allocationsBeyondTheNodesCapacityAreRefused() {
        AllocationRefusedException e = assertThrows(AllocationRefusedException.class, () -> client.allocate(
                AllocationSpec.of(7, 128, HotTimeout.ALWAYS_WARM, FunctionPackage.jar(jar), 64, 64)));
        assertTrue(e.getMessage().contains("INSUFFICIENT_CAPACITY"), e.getMessage());
    }

    @Test
    void aMissingNativeSymbolRefusesTheAllocationWithTheReason() {
        AllocationRefusedException e = assertThrows(AllocationRefusedException.class, () -> client.allocate(
                AllocationSpec.of(1, 128, HotTimeout.ALWAYS_WARM,
                        FunctionPackage.nativeLibrary(nativeLibrary, List.of("does_not_exist")), 64, 64)));
        assertTrue(e.getMessage().contains("does_not_exist"), e.getMessage());
    }

    static long sumOfSquares(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v * v;
        }
        return s;
    }

    static byte[] leLongs(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    static long leLong(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }
}
