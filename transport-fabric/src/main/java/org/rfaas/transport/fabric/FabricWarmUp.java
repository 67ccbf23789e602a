package org.rfaas.transport.fabric;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.IdleStrategy;
import org.rfaas.transport.PeerFailedException;

/**
 * The last step of a fabric connection's set-up, right after the handshake: each side sends the
 * other one empty tagged message and waits for the peer's (and, with wake-up endpoints, one nudge
 * each way). A real write that arrives first (the peer finished earlier) is kept for the first
 * poll.
 */
final class FabricWarmUp {
    private FabricWarmUp() {
    }

    /**
     * Each side sends one empty tagged message and waits for the peer's. With manual progress a
     * provider may need the peer's help to set up the path (shm maps the peer's region, ofi_rxm
     * connects its tcp socket); both sides are inside this method at the same time, so the first
     * real write never waits for a peer that is not polling yet.
     */
    static void run(FabricConnection c, FabricEndpoint e, PeerEndpoint peer, FabricReceiver receiver,
            String peerDescription, long timeoutMillis) {
        try {
            loop(c, e, peer, receiver, peerDescription, timeoutMillis);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    private static void loop(FabricConnection c, FabricEndpoint e, PeerEndpoint peer, FabricReceiver receiver,
            String peerDescription, long timeoutMillis) throws Throwable {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        boolean sent = false;
        boolean received = false;
        // The wake-up endpoints exchange one nudge too, so that ofi_rxm has connected them.
        boolean nudged = !peer.useWakeEndpoint();
        boolean nudgeReceived = !peer.useWakeEndpoint();
        // A live peer answers within the spins; one that never does (or a hostile one that sent its
        // HELLO and stopped) must not keep a core busy until the timeout.
        IdleStrategy idle = new BackoffIdleStrategy(20_000, 100, 10_000, 1_000_000);
        while (!sent || !received || !nudged || !nudgeReceived) {
            // The out-of-band channel may have seen the peer go (it died or gave up on its side).
            c.checkFailure(false);
            if (System.nanoTime() > deadline) {
                throw new PeerFailedException("fabric warm-up with " + peerDescription + " did not complete within "
                        + timeoutMillis + " ms (" + (sent ? "sent" : "not sent") + ", "
                        + (received ? "received" : "not received") + ", wake-up endpoint "
                        + (nudged ? "sent" : "not sent") + ", " + (nudgeReceived ? "received" : "not received") + ")");
            }
            if (!nudged) {
                nudged = tryInject(e, peerDescription, e.fnWakeTinjectdata, e.wakeEp, 48, 8, peer.wakeAddr(), FabricEndpoint.NUDGE_TAG,
                        "warm-up nudge");
                long m = (long) Fi.CALL_CQ_READ.invokeExact(e.fnWakeTxRead, e.wakeTxCq, e.wakeTxEntry, 1L);
                if (m == -Fi.FI_EAVAIL) {
                    throw c.cqError(e.wakeTxCq, "warm-up nudge");
                }
            }
            if (!nudgeReceived) {
                long m = (long) Fi.CALL_CQ_READ.invokeExact(e.fnWakeRxRead, e.wakeRxCq, e.wakeEntry, 1L);
                if (m == 1) {
                    nudgeReceived = true;
                    receiver.takeNudge();
                } else if (m == -Fi.FI_EAVAIL) {
                    throw c.cqError(e.wakeRxCq, "warm-up nudge");
                }
            }
            if (!sent) {
                sent = tryInject(e, peerDescription, e.fnTinjectdata, e.ep, 32, 0, peer.addr(), FabricEndpoint.WARMUP_TAG, "warm-up send");
            }
            long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnTxRead, e.txCq, e.txEntry, 1L);
            if (n == -Fi.FI_EAVAIL) {
                throw c.cqError(e.txCq, "warm-up send");
            }
            n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnRxRead, e.rxCq, e.rxEntry, 1L);
            if (n == 1) {
                // the peer's warm-up, or a real write of a peer that finished first (kept for poll())
                received |= receiver.warmUpReceived();
            } else if (n == -Fi.FI_EAVAIL) {
                throw c.cqError(e.rxCq, "warm-up receive");
            } else {
                idle.idle();
            }
        }
    }

    /** One tagged inject from the scratch word at {@code offset}; false if the provider said -FI_EAGAIN. */
    private static boolean tryInject(FabricEndpoint e, String peerDescription, MemorySegment fn, MemorySegment endpoint, long offset, long length, long dest, long tag,
            String what) throws Throwable {
        long r = (long) Fi.CALL_TINJECTDATA.invokeExact(fn, endpoint, e.region.address() + e.scratchOffset + offset,
                length, 0L, dest, tag);
        if (r != 0 && r != -Fi.FI_EAGAIN) {
            throw new PeerFailedException(what + " to " + peerDescription + " failed: " + Fi.strerror(r));
        }
        return r == 0;
    }
}
