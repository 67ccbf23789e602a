package org.rfaas.transport.fabric;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Child-process peer for the fabric tests: listens, prints its address, accepts one connection and
 * echoes every write back into the same slot (immediate + 1) until told to stop.
 *
 * <p>Commands ride in the immediate: {@link #STOP} ends the loop; {@link #FAA} | n makes the peer
 * do n fetch-and-adds of 1 on the caller's counter 0 and then answer with its own counter 0.
 */
public final class FabricPeer {
    static final int STOP = 0x7F000000;
    static final int FAA = 0x7E000000;
    static final int COMMAND_MASK = 0xFF000000;
    static final ConnectionSpec SPEC = new ConnectionSpec(4, 16 << 20, 2);

    private FabricPeer() {
    }

    public static void main(String[] args) throws Exception {
        String transport = args[0];
        boolean hot = Boolean.getBoolean("rfaas.test.hot");
        long awaitNanos = Long.getLong("rfaas.test.awaitMillis", 100) * 1_000_000L;
        try (Transport t = Transports.open(transport);
                Listener l = t.listen(transport + "://127.0.0.1:0", SPEC)) {
            System.out.println(l.address());
            System.out.flush();
            try (Connection c = l.accept(Duration.ofSeconds(30))) {
                if (c == null) {
                    System.err.println("peer: nobody connected");
                    System.exit(3);
                }
                MemorySegment out = c.allocateBuffer(SPEC.slotSize());
                Completion cp = new Completion();
                while (true) {
                    while (hot ? !c.poll(cp) : !c.await(cp, awaitNanos)) {
                        // hot: spin; warm: sleep in slices until the next write
                    }
                    int imm = cp.immediate();
                    if (imm == STOP) {
                        break;
                    }
                    if ((imm & COMMAND_MASK) == FAA) {
                        int n = imm & ~COMMAND_MASK;
                        c.release(cp.slot());
                        for (int i = 0; i < n; i++) {
                            c.fetchAndAdd(0, 1);
                        }
                        out.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, c.localCounter(0));
                        c.write(cp.slot(), out, 0, 8, imm);
                        continue;
                    }
                    MemorySegment.copy(c.receiveSlot(cp.slot()), 0, out, 0, cp.length());
                    c.release(cp.slot());
                    c.write(cp.slot(), out, 0, cp.length(), imm + 1);
                }
            }
        }
    }
}
