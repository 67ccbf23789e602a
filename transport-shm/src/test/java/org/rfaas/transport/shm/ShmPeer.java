package org.rfaas.transport.shm;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.rfaas.transport.Wire;

/**
 * The other process of the shm tests, started by {@link Child}. Prints {@code READY} (or
 * {@code ADDRESS <address>}) on stdout when connected, then plays one role:
 *
 * <ul>
 *   <li>{@code echo <address> <hot|warm> <slots> <slotSize>}: echoes every message back into the
 *       same slot of the parent with the same immediate, until immediate {@link #STOP}.</li>
 *   <li>{@code faa <address> <threads> <n>}: {@code threads} threads each add 1 to the parent's
 *       counter 0 {@code n} times, then write one message with immediate {@link #DONE}.</li>
 *   <li>{@code burst-exit <address> <n>}: writes {@code n} messages and halts at once.</li>
 *   <li>{@code hang <address>}: writes one message, then idles until killed.</li>
 *   <li>{@code listen-hang}: listens, accepts one connection, writes one message, idles.</li>
 *   <li>{@code corrupt <address> <bad-slot|oversized|bad-seq|bad-ack|bad-consumer>}: writes a bad ring
 *       entry (or a bad consumer position) straight into the shared mapping.</li>
 * </ul>
 */
public final class ShmPeer {
    public static final int STOP = -1;
    public static final int DONE = 0x0D0E;
    public static final int READY = 0x4EAD;

    private ShmPeer() {
    }

    public static void main(String[] args) throws Exception {
        try (Transport t = Transports.open("shm")) {
            switch (args[0]) {
                case "echo" -> echo(t, args[1], args[2].equals("warm"),
                        new ConnectionSpec(Integer.parseInt(args[3]), Integer.parseInt(args[4]), 1));
                case "faa" -> faa(t, args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
                case "hang" -> hang(t.connect(args[1], new ConnectionSpec(2, 64, 1), Duration.ofSeconds(20)));
                case "listen-hang" -> {
                    Listener l = t.listen("shm:", new ConnectionSpec(2, 64, 1));
                    System.out.println("ADDRESS " + l.address());
                    System.out.flush();
                    Connection c = l.accept(Duration.ofSeconds(30));
                    hang(c);
                }
                case "corrupt" -> corrupt(t, args[1], args[2]);
                case "burst-exit" -> {
                    Connection c = t.connect(args[1], new ConnectionSpec(2, 64, 1), Duration.ofSeconds(20));
                    MemorySegment buf = c.allocateBuffer(8);
                    for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                        buf.set(Wire.LONG, 0, i);
                        c.write(i & 1, buf, 0, 8, i);
                    }
                    System.out.println("READY");
                    System.out.flush();
                    Runtime.getRuntime().halt(0); // no close(): like a crash right after the writes
                }
                default -> throw new IllegalArgumentException("unknown role " + args[0]);
            }
        }
        System.exit(0);
    }

    private static void ready() {
        System.out.println("READY");
        System.out.flush();
    }

    private static void echo(Transport t, String address, boolean warm, ConnectionSpec spec) {
        try (Connection c = t.connect(address, spec, Duration.ofSeconds(20))) {
            ready();
            Completion done = new Completion();
            while (true) {
                boolean got = warm ? c.await(done, 1_000_000_000L) : c.poll(done);
                if (!got) {
                    Thread.onSpinWait();
                    continue;
                }
                if (done.immediate() == STOP) {
                    return;
                }
                c.write(done.slot(), c.receiveSlot(done.slot()), 0, done.length(), done.immediate());
                c.release(done.slot());
            }
        } catch (TransportException e) {
            System.err.println("echo peer ends: " + e);
        }
    }

    private static void faa(Transport t, String address, int threads, int n) throws InterruptedException {
        Connection c = t.connect(address, new ConnectionSpec(2, 64, 1), Duration.ofSeconds(20));
        ready();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().start(() -> {
                for (int k = 0; k < n; k++) {
                    c.fetchAndAdd(0, 1);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        c.write(0, c.allocateBuffer(8), 0, 0, DONE);
        awaitPeerClose(c);
    }

    private static void hang(Connection c) throws InterruptedException {
        c.write(0, c.allocateBuffer(8), 0, 0, READY);
        ready();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void corrupt(Transport t, String address, String kind) {
        ShmConnection c = (ShmConnection) t.connect(address, new ConnectionSpec(2, 64, 1), Duration.ofSeconds(20));
        MemorySegment map = c.mapping();
        ShmLayout layout = ShmLayout.of(c.peerSpec(), c.localSpec());
        ShmLayout.Inbox parent = layout.inbox(0);
        long entry = parent.ringOffset();
        int slot = 0;
        int length = 8;
        int seq = 1;
        long ack = 0;
        switch (kind) {
            case "bad-slot" -> slot = parent.spec().slots() + 7;
            case "negative-slot" -> slot = -1;
            case "oversized" -> length = parent.spec().slotSize() + 1;
            case "bad-seq" -> seq = 12345;
            // Acknowledges entries the parent never wrote: believed, it would let the parent
            // overwrite entries this side has not read.
            case "bad-ack" -> ack = 1L << 40;
            case "bad-consumer" -> {
                // Claim the parent's consumer position is far ahead: the parent's writer must refuse it.
                map.set(Wire.LONG, layout.inbox(1).consumerOffset(), 1L << 40);
                ready();
                awaitPeerClose(c);
                return;
            }
            default -> throw new IllegalArgumentException("unknown corruption " + kind);
        }
        map.set(Wire.INT, entry + ShmLayout.ENTRY_SLOT, slot);
        map.set(Wire.INT, entry + ShmLayout.ENTRY_LENGTH, length);
        map.set(Wire.INT, entry + ShmLayout.ENTRY_IMMEDIATE, 42);
        map.set(Wire.LONG, entry + ShmLayout.ENTRY_ACK, ack);
        map.set(Wire.INT, entry + ShmLayout.ENTRY_SEQ, seq);
        ready();
        awaitPeerClose(c);
    }

    /** Idles until the parent closes the connection (or 30 s pass). */
    private static void awaitPeerClose(Connection c) {
        long end = System.nanoTime() + 30_000_000_000L;
        while (c.isOpen() && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
        c.close();
    }
}
