package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.transport.Completion;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;

/**
 * The receiving side of a {@link FabricConnection}: polling and awaiting the receive CQ, decoding
 * a completion into (slot, length, immediate) for either data path, re-posting a released slot's
 * receive (MSG), the completions that arrived during the warm-up, and this side's part of warm
 * waiting: it announces TYPE_WARM with the messages consumed so far before it sleeps and TYPE_HOT
 * when it polls again, and keeps the highest write count the peer rang with (nudges to the wake-up
 * endpoint, or TYPE_WAKE frames read by the out-of-band thread). How it sleeps is the
 * {@link WarmWaiter} chosen after the handshake.
 *
 * <p>One thread receives; the counts and the warm flag are its own (the rung count and the sleeper
 * are shared with the out-of-band thread). Nothing here allocates or locks.
 */
final class FabricReceiver {
    private final FabricConnection connection;
    private final FabricEndpoint e;
    private final ConnectionSpec local;
    private final String peerDescription;
    /** How a warm await sleeps; chosen once the peer's HELLO is known. */
    private WarmWaiter waiter;
    /** Messages taken from the receive CQ so far. */
    private long consumed;
    /** TYPE_WARM was sent and no TYPE_HOT since. */
    private boolean announcedWarm;
    /** The highest write count a nudge carried (wake-up endpoint). */
    private long nudgedWritten;
    /** The highest write count a TYPE_WAKE carried (wake socket; written by the out-of-band thread). */
    private volatile long rungWritten;
    private volatile Thread sleeper;
    // receive completions that arrived while the warm-up was awaited: (slot, length, immediate)
    private int[] early = new int[0];
    private int earlyCount;
    private int earlyNext;

    FabricReceiver(FabricConnection connection, FabricEndpoint endpoint, String peerDescription) {
        this.connection = connection;
        this.e = endpoint;
        this.local = endpoint.local;
        this.peerDescription = peerDescription;
    }

    /** Sets how warm waits sleep (after the handshake). */
    void waiter(WarmWaiter w) {
        this.waiter = w;
    }

    /** How a warm {@link #await} sleeps, for logs and tests. */
    String warmWaitKind() {
        WarmWaiter w = waiter;
        return w == null ? "none before the handshake" : w.kind();
    }

    /** One non-blocking look at the receive CQ (and the warm-up's leftovers). */
    boolean poll(Completion into) throws Throwable {
        if (announcedWarm) {
            announcedWarm = false; // back to polling: the peer may stop ringing
            connection.announce(OobFrame.TYPE_HOT, 0);
        }
        if (earlyNext != earlyCount && takeEarly(into)) {
            return true;
        }
        long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnRxRead, e.rxCq, e.rxEntry, 1L);
        return completed(n, into);
    }

    /** Polls, then sleeps as the waiter does, until a completion or {@code deadline} (System.nanoTime). */
    boolean await(Completion into, long deadline) throws Throwable {
        if (earlyNext != earlyCount && takeEarly(into)) {
            return true;
        }
        WarmWaiter w = waiter;
        w.begin();
        try {
            while (true) {
                long n = (long) Fi.CALL_CQ_READ.invokeExact(e.fnRxRead, e.rxCq, e.rxEntry, 1L);
                if (completed(n, into)) {
                    return true;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                if (w.step(into, remaining)) {
                    return true;
                }
                if (connection.closed()) {
                    throw new TransportException("fabric connection to " + peerDescription + " was closed during await");
                }
            }
        } finally {
            w.end();
        }
    }

    private boolean completed(long n, Completion into) throws Throwable {
        if (n == 1) {
            decode(into);
            return true;
        }
        if (n == -Fi.FI_EAGAIN || n == -Fi.FI_ETIMEDOUT) {
            connection.checkFailure(true);
            return false;
        }
        if (n == -Fi.FI_EAVAIL) {
            throw connection.cqError(e.rxCq, "receive");
        }
        throw new TransportException("fi_cq_read(receive) failed: " + Fi.strerror(n));
    }

    /** Decodes the completion in the receive entry: (slot, length, immediate), checked against this side's slots. */
    void decode(Completion into) {
        long flags = e.rxEntry.get(JAVA_LONG, Fi.CQE_FLAGS);
        long data = e.rxEntry.get(JAVA_LONG, Fi.CQE_DATA);
        if ((flags & Fi.FI_REMOTE_CQ_DATA) == 0) {
            throw connection.fatal(new ProtocolException(ProtocolError.BAD_FIELD,
                    "completion from " + peerDescription + " carries no immediate (flags 0x" + Long.toHexString(flags) + ")"));
        }
        int slot;
        long length;
        if (e.caps.mode() == DataMode.RMA) {
            slot = (int) ((data >>> 32) & 0x3FF);
            length = data >>> 42;
            if (slot >= local.slots()) {
                throw connection.fatal(new ProtocolException(ProtocolError.BAD_INDEX,
                        "write into slot " + slot + ", this side registered " + local.slots()));
            }
            if (length == FabricSender.LENGTH_ESCAPE) {
                length = e.region.get(JAVA_LONG, slot * e.stride + Hello.SLOT_DATA_OFFSET - 8);
            }
        } else {
            long tag = e.rxEntry.get(JAVA_LONG, Fi.CQE_TAG);
            if (tag < 0 || tag >= local.slots()) {
                throw connection.fatal(new ProtocolException(ProtocolError.BAD_INDEX,
                        "message for slot " + tag + ", this side registered " + local.slots()));
            }
            slot = (int) tag;
            length = e.rxEntry.get(JAVA_LONG, Fi.CQE_LEN);
        }
        if (length < 0 || length > local.slotSize()) {
            throw connection.fatal(new ProtocolException(ProtocolError.OVERSIZED,
                    "write of " + length + " bytes into a " + local.slotSize() + "-byte slot"));
        }
        consumed++;
        into.set(slot, (int) length, (int) data);
    }

    /**
     * During the warm-up: the receive entry holds either the peer's warm-up message (true) or a
     * real write of a peer that finished its warm-up first, kept for {@link #poll}.
     */
    boolean warmUpReceived() {
        if (e.rxEntry.get(JAVA_LONG, Fi.CQE_TAG) == FabricEndpoint.WARMUP_TAG
                && e.rxEntry.get(ADDRESS, Fi.CQE_OP_CONTEXT).address() == e.warmUpContext()) {
            return true;
        }
        Completion c = new Completion();
        decode(c);
        if (earlyCount * 3 == early.length) {
            early = java.util.Arrays.copyOf(early, Math.max(12, early.length * 2));
        }
        early[earlyCount * 3] = c.slot();
        early[earlyCount * 3 + 1] = c.length();
        early[earlyCount * 3 + 2] = c.immediate();
        earlyCount++;
        return false;
    }

    /** Hands out a completion stashed during the warm-up; false when there is none. */
    private boolean takeEarly(Completion into) {
        if (earlyNext == earlyCount) {
            return false;
        }
        int i = earlyNext++ * 3;
        into.set(early[i], early[i + 1], early[i + 2]);
        return true;
    }

    /** Gives slot {@code slot} back to the peer: in MSG mode its receive is posted again. */
    void release(int slot) throws Throwable {
        if (e.caps.mode() == DataMode.MSG) {
            e.postReceive(slot);
        }
    }

    // ---- warm waiting: what the waiters use -------------------------------------------------------

    /** One {@code fi_cq_sread} on the data receive CQ ({@link CqWaiter}). */
    boolean sreadReceive(Completion into, int millis) throws Throwable {
        long n = (long) Fi.CALL_CQ_SREAD.invokeExact(e.fnRxSread, e.rxCq, e.rxEntry, 1L, MemorySegment.NULL, millis);
        return completed(n, into);
    }

    boolean announcedWarm() {
        return announcedWarm;
    }

    /** Tells the peer this side sleeps from now on, with the messages consumed so far. */
    void announceWarm() {
        announcedWarm = true;
        connection.announce(OobFrame.TYPE_WARM, consumed);
    }

    /** Messages taken from the receive CQ so far. */
    long consumed() {
        return consumed;
    }

    /** The highest write count a nudge carried ({@link EndpointWaiter}). */
    long nudgedWritten() {
        return nudgedWritten;
    }

    /** The highest write count a TYPE_WAKE frame carried ({@link SocketWaiter}). */
    long rungWritten() {
        return rungWritten;
    }

    /** The thread a TYPE_WAKE (or failure, or close) unparks; {@code null} when none sleeps. */
    void sleepOn(Thread thread) {
        sleeper = thread;
    }

    /** A TYPE_WAKE frame with the peer's write count arrived (out-of-band thread): wake the sleeper. */
    void rung(long count) {
        if (count > rungWritten) {
            rungWritten = count;
        }
        wakeSleeper();
    }

    /** Unparks the thread sleeping in a warm wait, if any (a ring, a failure, a close). */
    void wakeSleeper() {
        Thread s = sleeper;
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    /** One {@code fi_cq_sread} on the wake-up endpoint's CQ, taking the nudges that arrived ({@link EndpointWaiter}). */
    void sreadNudge(int millis) throws Throwable {
        long m = (long) Fi.CALL_CQ_SREAD.invokeExact(e.fnWakeRxSread, e.wakeRxCq, e.wakeEntry, 1L, MemorySegment.NULL,
                millis);
        if (m == 1) {
            takeNudge();
            drainNudges();
        } else if (m == -Fi.FI_EAVAIL) {
            throw connection.cqError(e.wakeRxCq, "wake-up endpoint");
        }
    }

    /** Takes every nudge that has arrived (non-blocking), keeping the highest write count. */
    void drainNudges() throws Throwable {
        long m;
        while ((m = (long) Fi.CALL_CQ_READ.invokeExact(e.fnWakeRxRead, e.wakeRxCq, e.wakeEntry, 1L)) == 1) {
            takeNudge();
        }
        if (m == -Fi.FI_EAVAIL) {
            throw connection.cqError(e.wakeRxCq, "wake-up endpoint");
        }
    }

    /** A nudge completed into its receive buffer: note its count and post the receive again. */
    void takeNudge() throws Throwable {
        long n = e.region.get(JAVA_LONG, e.scratchOffset + 40);
        if (n < 0) {
            throw connection.fatal(new ProtocolException(ProtocolError.BAD_FIELD,
                    "wake-up nudge from " + peerDescription + " carries a negative write count " + n));
        }
        if (n > nudgedWritten) {
            nudgedWritten = n;
        }
        e.postNudgeReceive();
    }
}
