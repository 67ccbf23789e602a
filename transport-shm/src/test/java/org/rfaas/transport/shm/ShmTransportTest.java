package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.rfaas.transport.Wire;

/** The shm provider between two OS processes (the peer is {@link ShmPeer} in a child JVM). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmTransportTest extends ShmChildTestSupport {

    @Test
    void byteExactRoundTripsUpTo16MiB() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(2, 16 << 20, 1);
        Connection c = acceptChild(spec, "echo", "$ADDR", "warm", "2", String.valueOf(16 << 20));
        MemorySegment buf = c.allocateBuffer(16 << 20);
        Random random = new Random(42);
        int imm = 1;
        for (int size : new int[] {0, 1, 64, 4096, 65536, 1 << 20, 16 << 20}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, size);
            int slot = imm & 1;
            c.write(slot, buf, 0, size, imm);
            Completion done = next(c);
            assertEquals(slot, done.slot());
            assertEquals(size, done.length());
            assertEquals(imm, done.immediate());
            assertArrayEquals(data, c.receiveSlot(slot).asSlice(0, size).toArray(ValueLayout.JAVA_BYTE), "size " + size);
            c.release(slot);
            imm++;
        }
        c.write(0, buf, 0, 0, ShmPeer.STOP);
        assertEquals(0, child.waitFor(20));
    }

    /**
     * Payloads of at most {@link ShmLayout#INLINE_MAX} bytes travel inside the ring entry, longer
     * ones through the slot: every size around that boundary and around the word-copy steps, over
     * more than one lap of the ring (so the consumer position is published and read), with two
     * messages outstanding in different slots.
     */
    @Test
    void byteExactAcrossTheInlineBoundary() throws Exception {
        int max = 2 * ShmLayout.INLINE_MAX;
        ConnectionSpec spec = new ConnectionSpec(2, max, 1);
        Connection c = acceptChild(spec, "echo", "$ADDR", "warm", "2", String.valueOf(max));
        MemorySegment buf = c.allocateBuffer(2L * max);
        Random random = new Random(7);
        int imm = 1;
        for (int lap = 0; lap < 3; lap++) {
            for (int size = 0; size <= max; size++) {
                byte[][] data = new byte[2][];
                for (int slot = 0; slot < 2; slot++) {
                    data[slot] = new byte[size];
                    random.nextBytes(data[slot]);
                    MemorySegment.copy(data[slot], 0, buf, ValueLayout.JAVA_BYTE, (long) slot * max, size);
                    c.write(slot, buf, (long) slot * max, size, imm + slot);
                }
                for (int slot = 0; slot < 2; slot++) {
                    Completion done = next(c);
                    assertEquals(slot, done.slot());
                    assertEquals(size, done.length());
                    assertEquals(imm + slot, done.immediate());
                    assertArrayEquals(data[slot], c.receiveSlot(slot).asSlice(0, size).toArray(ValueLayout.JAVA_BYTE),
                            "size " + size + " slot " + slot);
                    int head = Math.min(size, Connection.HEAD_BYTES);
                    assertArrayEquals(java.util.Arrays.copyOf(data[slot], head),
                            c.receiveHead(slot).asSlice(0, head).toArray(ValueLayout.JAVA_BYTE),
                            "head of size " + size + " slot " + slot);
                    c.release(slot);
                }
                imm += 2;
            }
        }
        c.write(0, buf, 0, 0, ShmPeer.STOP);
        assertEquals(0, child.waitFor(20));
    }

    @Test
    void thousandMessagesWithSeveralOutstandingHot() throws Exception {
        int slots = 8;
        ConnectionSpec spec = new ConnectionSpec(slots, 64, 1);
        Connection c = acceptChild(spec, "echo", "$ADDR", "hot", String.valueOf(slots), "64");
        MemorySegment buf = c.allocateBuffer(64);
        Completion done = new Completion();
        int sent = 0;
        int received = 0;
        long end = System.nanoTime() + 40 * SECOND;
        while (received < 1000) {
            while (sent < 1000 && sent - received < slots) {
                buf.set(Wire.INT, 0, sent);
                buf.set(Wire.INT, 60, ~sent);
                c.write(sent % slots, buf, 0, 64, sent);
                sent++;
            }
            if (c.poll(done)) {
                // Completions come back in order: one ring, one echoing thread.
                assertEquals(received, done.immediate());
                assertEquals(received % slots, done.slot());
                MemorySegment in = c.receiveSlot(done.slot());
                assertEquals(received, in.get(Wire.INT, 0));
                assertEquals(~received, in.get(Wire.INT, 60));
                c.release(done.slot());
                received++;
            } else {
                assertTrue(System.nanoTime() < end, "stalled after " + received + " replies");
                Thread.onSpinWait();
            }
        }
        c.write(0, buf, 0, 0, ShmPeer.STOP);
        assertEquals(0, child.waitFor(20));
    }

    @Test
    void writePollAndAwaitAllocateNothing() throws Exception {
        // A sleeping (warm) child leaves the CPU to us on a loaded machine; the futex path is exercised too.
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "echo", "$ADDR", "warm", "2", "64");
        MemorySegment buf = c.allocateBuffer(64);
        Completion done = new Completion();
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long allocated = 0;
        for (int round = 0; round < 3; round++) { // the first rounds warm up the JIT
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 5_000; i++) {
                c.write(0, buf, 0, 64, i);
                if ((i & 1) == 0) {
                    while (!c.poll(done)) {
                        Thread.onSpinWait();
                    }
                } else {
                    while (!c.await(done, SECOND)) {
                        Thread.onSpinWait();
                    }
                }
                c.release(done.slot());
            }
            allocated = threads.getThreadAllocatedBytes(tid) - before;
        }
        // 5,000 round trips: anything per message would show up as tens of kilobytes.
        assertTrue(allocated < 4096, allocated + " bytes allocated by 5,000 write/poll/await round trips");
        c.write(0, buf, 0, 0, ShmPeer.STOP);
        assertEquals(0, child.waitFor(20));
    }

    @Test
    void warmReceiverIsWokenAcrossProcesses() throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "echo", "$ADDR", "warm", "2", "64");
        MemorySegment buf = c.allocateBuffer(8);
        for (int i = 0; i < 20; i++) {
            // Give the child time to fall asleep in FUTEX_WAIT, so each write must wake it.
            Thread.sleep(i < 3 ? 200 : 5);
            buf.set(Wire.LONG, 0, i * 31L);
            long t0 = System.nanoTime();
            c.write(0, buf, 0, 8, i);
            Completion done = next(c);
            long rtt = System.nanoTime() - t0;
            assertEquals(i, done.immediate());
            assertEquals(i * 31L, c.receiveSlot(0).get(Wire.LONG, 0));
            // A lost wake-up would cost a whole 100 ms sleep slice (the child's await timeout is 1 s).
            if (i < 3) {
                System.out.printf("warm round trip %d: %.1f us%n", i, rtt / 1e3);
            }
        }
        c.write(0, buf, 0, 0, ShmPeer.STOP);
        assertEquals(0, child.waitFor(20));
    }

    @Test
    void awaitTimesOutAndCloseWakesAWaiter() throws Exception {
        Connection c = acceptChild(new ConnectionSpec(2, 64, 1), "hang", "$ADDR");
        Completion done = new Completion();
        assertTrue(c.await(done, 10 * SECOND), "the child's first message");
        assertEquals(ShmPeer.READY, done.immediate());
        long t0 = System.nanoTime();
        assertFalse(c.await(done, 150_000_000L));
        assertTrue(System.nanoTime() - t0 >= 150_000_000L, "await returned before its timeout");
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                c.await(new Completion(), 30 * SECOND);
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        Thread.sleep(300);
        long closedAt = System.nanoTime();
        c.close();
        Throwable e = waiter.get(5, TimeUnit.SECONDS);
        assertTrue(e instanceof TransportException, "await ended with " + e);
        assertTrue(System.nanoTime() - closedAt < 2 * SECOND);
        assertFalse(c.isOpen());
        assertThrows(TransportException.class, () -> c.write(0, c.allocateBuffer(8), 0, 8, 0));
    }

    @Test
    void fetchAndAddFromTwoWriterProcessesIsExact() throws Exception {
        int n = 50_000;
        ConnectionSpec spec = new ConnectionSpec(2, 64, 1);
        listener = transport.listen("shm:", spec);
        child = Child.start(ShmPeer.class, "faa", listener.address(), "2", String.valueOf(n));
        child2 = Child.start(ShmPeer.class, "faa", listener.address(), "2", String.valueOf(n));
        Connection a = listener.accept(ACCEPT);
        Connection b = listener.accept(ACCEPT);
        assertEquals(ShmPeer.DONE, next(a).immediate());
        assertEquals(ShmPeer.DONE, next(b).immediate());
        // Each child ran two threads against one counter: any lost update shows up here.
        assertEquals(2L * n, a.localCounter(0));
        assertEquals(2L * n, b.localCounter(0));
        // The other direction: the child's counter starts at 0 and is ours to add to.
        assertEquals(0L, a.fetchAndAdd(0, 5));
        assertEquals(5L, a.fetchAndAdd(0, 1));
        a.close();
        b.close();
        assertEquals(0, child.waitFor(20));
        assertEquals(0, child2.waitFor(20));
    }

    @Test
    void addressesAndArgumentsAreChecked() {
        listener = transport.listen("shm:", new ConnectionSpec(1, 8, 0));
        assertTrue(listener.address().startsWith("shm:/"), listener.address());
        assertThrows(TransportException.class, () -> transport.listen("tcp://127.0.0.1:1", new ConnectionSpec(1, 8, 0)));
        assertThrows(TransportException.class, () -> transport.listen(listener.address(), new ConnectionSpec(1, 8, 0)),
                "a second listener on a bound path");
        Path missing = ShmTransport.pathOf(listener.address(), false).resolveSibling("nobody.sock");
        assertThrows(TransportException.class, () -> transport.connect("shm:" + missing, new ConnectionSpec(1, 8, 0),
                Duration.ofMillis(200)));
        assertThrows(TransportException.class, () -> Transports.open("shm:fancy"));
        Path socket = ShmTransport.pathOf(listener.address(), false);
        listener.close();
        assertFalse(Files.exists(socket), "listener socket file removed at close");
    }
}
