package org.rfaas.benchmarks.transport;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.rfaas.benchmarks.common.Affinity;
import org.rfaas.demo.support.NativeEnvironment;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * The pong side of the transport benchmark, run in a child JVM started by {@link PingSide}: connects
 * to the ping's listener and echoes every message back from its receive slot, spinning or sleeping
 * between messages as the ping asks (see {@link PingPongWire}). Exits when told to stop, or when the
 * ping (its parent) is gone.
 *
 * <p>Usage: {@code PongMain <transport> <address> <slotBytes> <cpu>} (cpu -1: unpinned).
 */
public final class PongMain {
    private static final long AWAIT_SLICE_NS = 500_000_000L;

    private PongMain() {
    }

    /** Entry point of the pong JVM. */
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: PongMain <transport> <address> <slotBytes> <cpu>");
            System.exit(2);
        }
        NativeEnvironment.protectJvmSignalsFromLibfabric();
        int cpu = Integer.parseInt(args[3]);
        ConnectionSpec spec = new ConnectionSpec(1, Integer.parseInt(args[2]), 0);
        try (Transport transport = Transports.open(args[0]);
             Connection conn = transport.connect(args[1], spec, Duration.ofSeconds(30))) {
            if (cpu >= 0 && Affinity.pinCurrentThread(cpu).isEmpty()) {
                System.err.println("pong: could not pin to cpu " + cpu + "; running unpinned");
            }
            echo(conn);
        } catch (PeerFailedException e) {
            // the ping went away first: nothing left to answer
        }
        System.exit(0);
    }

    /** The echo loop. Allocates nothing per message. */
    private static void echo(Connection conn) {
        Completion c = new Completion();
        MemorySegment slot = conn.receiveSlot(0);
        ProcessHandle ping = ProcessHandle.current().parent().orElse(null);
        boolean warm = true; // the ping's first message may come after a C reference round
        while (true) {
            if (warm) {
                while (!conn.await(c, AWAIT_SLICE_NS)) {
                    if (orphaned(ping)) {
                        return;
                    }
                }
            } else {
                long spins = 0;
                while (!conn.poll(c)) {
                    Thread.onSpinWait();
                    if ((++spins & 0xFFFFF) == 0 && orphaned(ping)) {
                        return;
                    }
                }
            }
            int imm = c.immediate();
            if ((imm & PingPongWire.STOP) != 0) {
                return;
            }
            conn.write(0, slot, 0, c.length(), imm);
            conn.release(c.slot());
            warm = (imm & PingPongWire.WARM_NEXT) != 0;
        }
    }

    private static boolean orphaned(ProcessHandle ping) {
        return ping == null || !ping.isAlive();
    }
}
