package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/**
 * The data path's raw accesses (ShmConnection, "Memory safety of the data path"): what it writes,
 * and what happens to the mapping when the connection is closed under a thread that is using it,
 * and when it is collected. Both ends live in this JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ShmRawDataPathTest {
    private static final long SECOND = 1_000_000_000L;
    private static final ConnectionSpec SPEC = new ConnectionSpec(1, 64, 0);

    private Transport transport;
    private Listener listener;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void open() {
        transport = Transports.open("shm");
        listener = transport.listen("shm:", SPEC);
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        transport.close();
    }

    private Connection[] pair() throws Exception {
        CompletableFuture<Connection> accepted = CompletableFuture.supplyAsync(() -> listener.accept(Duration.ofSeconds(20)));
        Connection a = transport.connect(listener.address(), SPEC, Duration.ofSeconds(20));
        Connection b = accepted.get(20, TimeUnit.SECONDS);
        assertNotNull(b);
        return new Connection[] {a, b};
    }

    /** 8-16 B are copied as two overlapping words: every payload byte arrives, no byte after it changes. */
    @Test
    void wordCopiedPayloadsTouchNothingBeyondTheirLength() throws Exception {
        Connection[] p = pair();
        Connection a = p[0];
        Connection b = p[1];
        MemorySegment buf = a.allocateBuffer(64);
        MemorySegment slot = b.receiveSlot(0);
        Random random = new Random(11);
        Completion c = new Completion();
        for (int round = 0; round < 200; round++) {
            int length = 8 + round % 9;
            byte[] data = new byte[length];
            random.nextBytes(data);
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, length);
            buf.asSlice(length).fill((byte) 0x11); // beyond the payload in the source: must not travel
            slot.fill((byte) 0x7f);
            a.write(0, buf, 0, length, round);
            long end = System.nanoTime() + 20 * SECOND;
            while (!b.await(c, SECOND)) {
                assertTrue(System.nanoTime() < end, "message " + round + " did not arrive");
            }
            assertEquals(length, c.length());
            assertArrayEquals(data, slot.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE), "payload of " + length + " B");
            for (long i = length; i < slot.byteSize(); i++) {
                assertEquals((byte) 0x7f, slot.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " after a " + length + " B payload");
            }
        }
    }

    /**
     * A short payload travels in the ring entry. The receiver copies it from there into its slot,
     * unless the writer built it in that slot itself (sharedPeerSlot): then the slot is left as the
     * writer left it, and the entry's copy is only the head. Shown by changing the slot between
     * the write and the poll (which a real writer never does): the receiver's slot keeps the
     * change, its head has what was written.
     */
    @Test
    void aShortPayloadBuiltInTheReceiversSlotIsNotCopiedIntoItAgain() throws Exception {
        Connection[] p = pair();
        Connection a = p[0];
        Connection b = p[1];
        MemorySegment shared = a.sharedPeerSlot(0).orElseThrow();
        MemorySegment slot = b.receiveSlot(0);
        Completion c = new Completion();
        for (int length : new int[] {4, 12, 24, Connection.HEAD_BYTES}) {
            shared.asSlice(0, length).fill((byte) 'A');
            a.write(0, shared, 0, length, length);
            shared.asSlice(0, length).fill((byte) 'B');
            assertTrue(b.await(c, 20 * SECOND), "message of " + length + " B did not arrive");
            assertEquals(length, c.length());
            assertEquals(length, c.immediate());
            for (int i = 0; i < length; i++) {
                assertEquals((byte) 'B', slot.get(ValueLayout.JAVA_BYTE, i), "slot byte " + i + " of " + length);
                assertEquals((byte) 'A', b.receiveHead(0).get(ValueLayout.JAVA_BYTE, i), "head byte " + i + " of " + length);
            }
        }
        // From memory of the writer's own, the same lengths are copied into the slot.
        MemorySegment own = a.allocateBuffer(64);
        for (int length : new int[] {4, 12, 24, Connection.HEAD_BYTES}) {
            own.asSlice(0, length).fill((byte) 'C');
            slot.fill((byte) 0);
            a.write(0, own, 0, length, length);
            assertTrue(b.await(c, 20 * SECOND), "message of " + length + " B did not arrive");
            for (int i = 0; i < length; i++) {
                assertEquals((byte) 'C', slot.get(ValueLayout.JAVA_BYTE, i), "slot byte " + i + " of " + length);
            }
        }
    }

    /**
     * Closing either end while one thread writes and another polls (hot, bounded by yields) ends
     * both with a {@link TransportException}: never an {@link IllegalStateException} of a closed
     * arena, a protocol error read from the zero pages, or a crash of the JVM.
     */
    @Test
    void closeRacingWithTheDataPathEndsItCleanly() throws Exception {
        for (int round = 0; round < 20; round++) {
            Connection[] p = pair();
            Connection a = p[0];
            Connection b = p[1];
            MemorySegment buf = a.allocateBuffer(16);
            AtomicBoolean started = new AtomicBoolean();
            Future<Throwable> writer = threads.submit(() -> {
                try {
                    for (int i = 0; ; i++) {
                        a.write(0, buf, 0, 8 + (i & 7), i);
                        started.set(true);
                        Thread.yield();
                    }
                } catch (Throwable t) {
                    return t;
                }
            });
            Future<Throwable> reader = threads.submit(() -> {
                try {
                    Completion c = new Completion();
                    while (true) {
                        if (!b.poll(c)) {
                            Thread.yield();
                        }
                    }
                } catch (Throwable t) {
                    return t;
                }
            });
            long end = System.nanoTime() + 20 * SECOND;
            while (!started.get()) {
                assertTrue(System.nanoTime() < end, "the writer never wrote");
                Thread.yield();
            }
            Thread.sleep(round % 5);
            // Alternate which end goes first, and close the other one too (a peer's close only
            // makes the survivor report a failure, it does not unmap the survivor's side).
            (round % 2 == 0 ? a : b).close();
            Thread.sleep(round % 3);
            (round % 2 == 0 ? b : a).close();
            int r = round;
            for (Future<Throwable> f : List.of(writer, reader)) {
                Throwable t = f.get(20, TimeUnit.SECONDS);
                assertInstanceOf(TransportException.class, t, () -> "round " + r + ": " + t);
                assertFalse(t instanceof ProtocolException, () -> "round " + r + ": a protocol error after close: " + t);
            }
            assertThrows(TransportException.class, () -> a.write(0, buf, 0, 8, 0));
            assertThrows(TransportException.class, () -> b.poll(new Completion()));
        }
    }

    /**
     * After close the shared pages are gone from this process (the range holds private zero
     * pages), and once the connection is unreachable the range is unmapped.
     */
    @Test
    void closeQuarantinesAndCollectionUnmaps() throws Exception {
        Connection[] p = pair();
        long address = ((ShmConnection) p[0]).mapping().address();
        assertTrue(mapsLine(address).contains(ShmFiles.PREFIX), "open: the shared file is mapped: " + mapsLine(address));
        p[0].close();
        String quarantined = mapsLine(address);
        assertTrue(!quarantined.isEmpty() && !quarantined.contains(ShmFiles.PREFIX),
                "closed: still mapped, but anonymous: " + quarantined);
        p[1].close();
        p = null;
        long end = System.nanoTime() + 30 * SECOND;
        while (!mapsLine(address).isEmpty()) {
            if (System.nanoTime() > end) {
                fail("the closed connection's range is still mapped 30 s later: " + mapsLine(address));
            }
            System.gc();
            Thread.sleep(50);
        }
    }

    /** The line of /proc/self/maps whose range holds {@code address}, or "". */
    private static String mapsLine(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.compareUnsigned(Long.parseUnsignedLong(range[0], 16), address) <= 0
                    && Long.compareUnsigned(address, Long.parseUnsignedLong(range[1], 16)) < 0) {
                return line;
            }
        }
        return "";
    }
}
