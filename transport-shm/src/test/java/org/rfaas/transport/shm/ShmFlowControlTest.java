package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.rfaas.transport.Wire;

/**
 * Flow control of the completion rings, both ends in this JVM (the cross-process behaviour is in
 * {@link ShmTransportTest} and the conformance kit). A writer learns how far the peer has read
 * from two places: the consumer position in the entries the peer writes back, and, when no entry
 * comes back, the peer's consumer line. These tests run each source alone and both mixed, on
 * one-slot connections, whose rings have only {@link ShmLayout#MIN_RING} entries, so the writer
 * is at the ring's limit on almost every message. A writer that overran the reader would show up
 * as a ring entry with a foreign sequence number (a {@code ProtocolException}), or as a lost,
 * reordered or changed message. The writers run ahead of the readers by more messages than the
 * one slot could hold; that is safe here only because payloads of at most
 * {@value ShmLayout#INLINE_MAX} B travel in the ring entry and {@code poll} copies them into the
 * slot. Waits are warm (futex), so that the threads do not starve each other on a two-CPU
 * machine.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmFlowControlTest {
    private static final long SECOND = 1_000_000_000L;
    private static final ConnectionSpec ONE_SLOT = new ConnectionSpec(1, 64, 0);

    private Transport transport;
    private Listener listener;
    private Connection a;
    private Connection b;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void connect() throws Exception {
        transport = Transports.open("shm");
        listener = transport.listen("shm:", ONE_SLOT);
        CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(() -> listener.accept(Duration.ofSeconds(20)));
        a = transport.connect(listener.address(), ONE_SLOT, Duration.ofSeconds(20));
        b = accepted.get(20, TimeUnit.SECONDS);
        assertNotNull(b);
        assertEquals(2, ShmLayout.ringCapacity(ONE_SLOT.slots()), "one slot, the smallest ring");
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        transport.close();
    }

    /** Only the consumer line: the reader never writes back, and now and then stops reading. */
    @Test
    void oneWayStreamWaitsForTheReader() throws Exception {
        int n = 20_000;
        Future<?> reader = threads.submit(() -> {
            Completion c = new Completion();
            for (int i = 0; i < n; i++) {
                next(b, c);
                assertEquals(i, c.immediate(), "message order");
                assertEquals(8, c.length());
                assertEquals(i, b.receiveSlot(0).get(Wire.LONG, 0), "payload of message " + i);
                if (i % 2_000 == 0) {
                    sleep(2); // the writer runs into a full ring here
                }
            }
            return null;
        });
        MemorySegment buf = a.allocateBuffer(8);
        for (int i = 0; i < n; i++) {
            buf.set(Wire.LONG, 0, i);
            a.write(0, buf, 0, 8, i);
        }
        reader.get(30, TimeUnit.SECONDS);
    }

    /**
     * Requests and replies in both directions, each side with one thread that writes and another
     * that reads, so that the consumer positions announced in the entries cross threads. The
     * requests run up to three ahead of the replies, so the writer also waits for ring space.
     */
    @Test
    void requestsAndRepliesWithSeparateSendingAndReceivingThreads() throws Exception {
        int n = 20_000;
        Random random = new Random(11);
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = random.nextInt(ShmLayout.INLINE_MAX + 1);
        }
        // b: its receiving thread hands every request to its sending thread, which answers.
        BlockingQueue<int[]> toAnswer = new ArrayBlockingQueue<>(4);
        Future<?> bReceiver = threads.submit(() -> {
            Completion c = new Completion();
            for (int i = 0; i < n; i++) {
                next(b, c);
                assertEquals(i, c.immediate(), "request order");
                assertEquals(lengths[i], c.length());
                byte[] got = b.receiveSlot(0).asSlice(0, c.length()).toArray(ValueLayout.JAVA_BYTE);
                for (int k = 0; k < got.length; k++) {
                    assertEquals((byte) (i + k), got[k], "request " + i + " byte " + k);
                }
                toAnswer.put(new int[] {i, c.length()});
            }
            return null;
        });
        Future<?> bSender = threads.submit(() -> {
            MemorySegment buf = b.allocateBuffer(64);
            for (int i = 0; i < n; i++) {
                int[] request = toAnswer.take();
                buf.set(Wire.INT, 0, ~request[0]);
                b.write(0, buf, 0, Math.max(4, request[1]), request[0]);
            }
            return null;
        });
        // a: one thread sends requests, at most three ahead of the replies; another reads the replies.
        java.util.concurrent.atomic.AtomicInteger replied = new java.util.concurrent.atomic.AtomicInteger();
        Future<?> aReceiver = threads.submit(() -> {
            Completion c = new Completion();
            for (int i = 0; i < n; i++) {
                next(a, c);
                assertEquals(i, c.immediate(), "reply order");
                assertEquals(~i, a.receiveSlot(0).get(Wire.INT, 0), "reply " + i);
                replied.set(i + 1);
            }
            return null;
        });
        MemorySegment buf = a.allocateBuffer(64);
        for (int i = 0; i < n; i++) {
            long end = System.nanoTime() + 20 * SECOND;
            while (i - replied.get() >= 3) {
                assertTrue(System.nanoTime() < end, "no reply to request " + (i - 1));
                Thread.onSpinWait();
                if (!aReceiver.isDone()) {
                    Thread.yield();
                } else {
                    aReceiver.get(); // surfaces the receiver's failure
                }
            }
            for (int k = 0; k < lengths[i]; k++) {
                buf.set(ValueLayout.JAVA_BYTE, k, (byte) (i + k));
            }
            a.write(0, buf, 0, lengths[i], i);
        }
        aReceiver.get(30, TimeUnit.SECONDS);
        bReceiver.get(30, TimeUnit.SECONDS);
        bSender.get(30, TimeUnit.SECONDS);
    }

    private static void next(Connection c, Completion into) {
        long end = System.nanoTime() + 20 * SECOND;
        while (!c.await(into, SECOND)) {
            assertTrue(System.nanoTime() < end, "nothing arrived within 20 s");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
