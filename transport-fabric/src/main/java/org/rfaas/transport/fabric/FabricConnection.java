package org.rfaas.transport.fabric;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection over one libfabric FI_EP_RDM endpoint, plus a plain TCP socket to the peer used for
 * the handshake ({@link Hello}), as the liveness channel (end of stream = the peer is gone, even
 * after SIGKILL) and for emulated fetch-and-add ({@link OobFrame}).
 *
 * <p>The parts: {@link FabricEndpoint} holds the native objects (endpoint, CQs, AV, the
 * registered region and buffers) and opens and frees them; {@link FabricSender} writes (RMA or
 * MSG data path, native fetch-and-add) and rings a warm peer; {@link FabricReceiver} polls,
 * awaits and decodes completions; a {@link WarmWaiter} decides how a warm wait sleeps. This class
 * does the handshake ({@link Hello}), the warm-up, the out-of-band channel's frames, failure and
 * close, and checks every call of the {@link Connection} API before handing it on.
 *
 * <h2>Warm waiting</h2>
 * The data endpoint's receive CQ has no wait object by default: with {@code tcp;ofi_rxm} an
 * {@code FI_WAIT_FD} one makes every hot round trip about 20 % slower, libfabric's own C
 * ping-pong included (docs/rdma.md). Instead each side tells the other on the out-of-band socket
 * how it waits, once per switch: the first {@link #await} that finds the receive CQ empty sends
 * {@link OobFrame#TYPE_WARM} with {@code consumed} (messages taken from the receive CQ so far), the
 * first {@link #poll} after that sends {@link OobFrame#TYPE_HOT}. While the peer is warm, every
 * write rings it with the number of writes posted so far ({@code written}), and the out-of-band
 * thread rings at once when a TYPE_WARM arrives after more than {@code consumed} were written. The
 * flag and the count are published before they are read on each side (full fences), so one of
 * the two sees the other and no write goes unannounced. A waiter sleeps only while
 * {@code consumed} has caught up with the highest count it was rung with; a message that was
 * announced but has not reached the CQ yet is polled for. A peer that waits for its own send or
 * atomic to complete rings too (every millisecond), since that needs the sleeper's progress. How
 * it rings ({@link FabricCapabilities#warmWaitMode()}):
 * <ul>
 *   <li>{@code ENDPOINT} (the default where CQs accept {@code FI_WAIT_FD}): each side opens a
 *       second, wake-up endpoint whose receive CQ has the wait object and carries nothing but
 *       8-byte tagged "nudges" holding {@code written}; the sleeper is in {@code fi_cq_sread} on it.
 *       ofi_rxm allocates ~6 MiB of buffers for it (4 KiB ones, {@link LibfabricLoad#PARAMETER_DEFAULTS}).
 *   <li>{@code SOCKET} (the default elsewhere, e.g. shm): a {@link OobFrame#TYPE_WAKE} frame; the
 *       peer's liveness thread reads it and unparks the sleeper.
 *   <li>{@code CQ} ({@code -Drfaas.fabric.warmWait=cq}): no protocol; {@code fi_cq_sread} on the
 *       data CQ, which then has {@code FI_WAIT_FD}.
 * </ul>
 *
 * <h2>Threads</h2>
 * Send and receive use separate completion queues, so the sending and the receiving thread never
 * steal each other's completions; the domain is FI_THREAD_SAFE. {@link #write}, {@link #poll} and
 * {@link #await} allocate nothing and take no locks (two atomic increments guard against
 * {@link #close} freeing native memory underneath them), except on the warm paths: the frames of
 * the out-of-band socket (announcing warm or hot, and ringing a warm peer in {@code SOCKET} mode)
 * are written under its lock. One thread receives ({@code poll}/{@code await}); the counts and
 * the warm flag of the receiving side are its own.
 */
final class FabricConnection implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(FabricConnection.class);

    /** How long after the out-of-band EOF completions that were in flight may still be drained. */
    private static final long DRAIN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Polls of an empty receive CQ before a waiter backs off: for a message it was rung for, or (peer that never rings) before parking. */
    private static final int SPIN_POLLS = 100;
    private static final VarHandle COUNTER = java.lang.foreign.ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(FabricConnection.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final FabricTransport transport;
    private final FabricCapabilities caps;
    private final ConnectionSpec local;
    /** How this side's warm waits would like to sleep; see the class comment. */
    private final FabricCapabilities.WarmWait warmWait;
    /** Warm waits sleep in fi_cq_sread on the data CQ (which has FI_WAIT_FD). */
    private final boolean sreadWait;
    /** Longest single {@code fi_cq_sread} or park ({@link FabricContext#waitSliceMillis()}). */
    private final int waitSliceMillis;
    private final Socket oob;
    private final String peerDescription;
    private final FabricEndpoint e;
    private final FabricReceiver receiver;
    /** The peer as its HELLO described it, and the writer to it; both set by the handshake. */
    private PeerEndpoint peer;
    private FabricSender sender;

    // state
    private volatile boolean closed;
    /** The peer announced an orderly close: its end of stream is no death, our endpoint closes safely. */
    private volatile boolean peerSaidBye;
    private volatile RuntimeException failure;
    private volatile long failedAtNanos;
    @SuppressWarnings("unused") // through BUSY
    private volatile int busy;
    /** The out-of-band socket after the handshake: frames and liveness. */
    private final OobChannel oobChannel;
    private volatile Thread faaWaiter;
    private volatile boolean faaReplyReady;
    private volatile long faaReply;
    private Thread liveness;

    private FabricConnection(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket oob) {
        this.transport = transport;
        this.caps = dom.caps;
        this.local = local;
        this.warmWait = caps.warmWaitMode();
        this.sreadWait = warmWait == FabricCapabilities.WarmWait.CQ;
        this.oob = oob;
        this.peerDescription = "fabric:" + caps.variant() + " peer " + oob.getRemoteSocketAddress();
        this.oobChannel = new OobChannel(oob, peerDescription);
        this.waitSliceMillis = transport.context().waitSliceMillis();
        this.e = new FabricEndpoint(transport, dom, local);
        this.receiver = new FabricReceiver(this, e, peerDescription);
    }

    /** Connector side: opens the endpoint, sends HELLO, reads WELCOME. */
    static FabricConnection connect(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket s) {
        FabricConnection c = new FabricConnection(transport, dom, local, s);
        try {
            c.e.open(c.sreadWait, c.warmWait == FabricCapabilities.WarmWait.ENDPOINT);
            FabricHandshake.send(s, c.e, Hello.TYPE_HELLO);
            c.connected(FabricHandshake.peer(c.e, Hello.read(s, Hello.TYPE_WELCOME)));
            c.startLiveness();
            FabricWarmUp.run(c, c.e, c.peer, c.receiver, c.peerDescription, 10_000);
            c.start();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly();
            throw e;
        }
    }

    /**
     * Listener side: {@code hello} is the peer's whole HELLO, its header validated by the
     * listener before the body was read; checks it, opens the endpoint and answers WELCOME.
     */
    static FabricConnection accept(FabricTransport transport, FabricDomain dom, ConnectionSpec local, Socket s,
            byte[] hello) {
        FabricConnection c = new FabricConnection(transport, dom, local, s);
        try {
            c.e.open(c.sreadWait, c.warmWait == FabricCapabilities.WarmWait.ENDPOINT);
            c.connected(FabricHandshake.peer(c.e, hello));
            FabricHandshake.send(s, c.e, Hello.TYPE_WELCOME);
            c.startLiveness();
            FabricWarmUp.run(c, c.e, c.peer, c.receiver, c.peerDescription, 10_000);
            c.start();
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly();
            throw e;
        }
    }

    /** Whether this connection's endpoint was opened ahead of it by the domain's {@link EndpointPool} (tests). */
    boolean preparedEndpoint() {
        return e.adopted;
    }

    /** The handshake told us the peer: set up the writer to it and how warm waits sleep. */
    private void connected(PeerEndpoint p) {
        peer = p;
        sender = new FabricSender(this, e, p, oobChannel, peerDescription);
        receiver.waiter(sreadWait ? new CqWaiter(receiver, waitSliceMillis)
                : !p.ringsDoorbell() ? new BackoffWaiter(SPIN_POLLS)
                : p.useWakeEndpoint() ? new EndpointWaiter(receiver, SPIN_POLLS, waitSliceMillis)
                : new SocketWaiter(receiver, SPIN_POLLS, waitSliceMillis));
    }

    /**
     * Starts watching the out-of-band socket before the warm-up, so that a peer that dies (or gives
     * up) while this side waits for its warm-up message fails the handshake at once rather than
     * after the warm-up timeout: ofi_rxm keeps answering -FI_EAGAIN to a peer that is gone.
     */
    private void startLiveness() {
        try {
            oobChannel.startLiveness(transport.context().liveness());
        } catch (IOException ex) {
            throw new PeerFailedException("out-of-band socket failed: " + ex, ex);
        }
        liveness = Thread.ofPlatform().daemon().name("rfaas-fabric-oob-" + oob.getPort()).start(this::serveOob);
    }

    private void start() {
        LOG.debug("fabric connection to {} up: mode {} (peer {}), fetch-and-add {}, warm wait {}, endpoint {}",
                peerDescription, caps.mode(), peer.rma() ? "RMA" : "MSG", peer.nativeAtomics() ? "FI_ATOMIC" : "emulated",
                warmWaitKind(), e.adopted ? "prepared ahead" : "opened for it");
    }

    // ---- the out-of-band channel: liveness, emulated atomics, warm/hot and wake frames ------------

    private void serveOob() {
        OobFrame frame = new OobFrame();
        try {
            InputStream in = oobChannel.input();
            while (!closed) {
                oobChannel.read(frame, in);
                byte type = frame.validate(local.counters());
                if (type == OobFrame.TYPE_HEARTBEAT) {
                    continue;
                }
                if (type == OobFrame.TYPE_FAA_REQUEST) {
                    long old = (long) COUNTER.getAndAdd(e.region, e.counterOffset + 8L * frame.index(), frame.value());
                    oobChannel.send(OobFrame.TYPE_FAA_REPLY, frame.index(), old);
                } else if (type == OobFrame.TYPE_BYE) {
                    peerSaidBye = true;
                } else if (type == OobFrame.TYPE_WARM) {
                    sender.peerWarm(frame.value());
                } else if (type == OobFrame.TYPE_HOT) {
                    sender.peerHot();
                } else if (type == OobFrame.TYPE_WAKE) {
                    receiver.rung(frame.value());
                } else {
                    faaReply = frame.value();
                    faaReplyReady = true;
                    Thread w = faaWaiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        } catch (ProtocolException ex) {
            LOG.warn("closing fabric connection to {}: {}", peerDescription, ex.getMessage());
            fail(ex);
            closeSocket();
        } catch (SocketTimeoutException ex) {
            if (!closed) {
                long ms = transport.context().liveness().timeout().toMillis();
                fail(new PeerFailedException(peerDescription + " sent nothing on the out-of-band channel for " + ms
                        + " ms (liveness timeout): its host is unreachable or its process is frozen", ex));
                closeSocket(); // unblocks a thread writing to the silent peer
            }
        } catch (IOException ex) {
            // End of stream means the peer is gone even if we are closing: freeNative() must know.
            if (!closed || ex instanceof EOFException) {
                fail(new PeerFailedException(peerSaidBye ? peerDescription + " closed the connection"
                        : peerDescription + " is gone (out-of-band channel: "
                        + (ex instanceof EOFException ? "end of stream" : ex.toString()) + ")", ex));
            }
        } finally {
            oobChannel.stopHeartbeats();
        }
    }

    /** Records the first failure and wakes whoever waits (a thread in fi_cq_sread notices within one slice). */
    void fail(RuntimeException ex) {
        if (failure == null) {
            failedAtNanos = System.nanoTime();
            failure = ex;
        }
        Thread w = faaWaiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        receiver.wakeSleeper();
    }

    /** Sends TYPE_WARM (with the consumed count) or TYPE_HOT. */
    void announce(byte type, long consumedSoFar) {
        try {
            oobChannel.send(type, 0, consumedSoFar);
        } catch (IOException ex) {
            fail(new PeerFailedException("cannot reach " + peerDescription + " on the out-of-band socket: " + ex, ex));
        }
    }

    /** Throws the failure; for a dead peer only after in-flight completions had time to drain. */
    void checkFailure(boolean drain) {
        RuntimeException f = failure;
        if (f != null && (!drain || !(f instanceof PeerFailedException)
                || System.nanoTime() - failedAtNanos > DRAIN_GRACE_NANOS)) {
            throw f;
        }
    }

    /** The error a completion queue reports, as the exception to throw (a truncation is the peer's protocol error). */
    RuntimeException cqError(MemorySegment cq, String what) throws Throwable {
        MemorySegment fn = Fi.fn(cq, Fi.off(Fi.FID_CQ, "ops"), Fi.FI_OPS_CQ, "readerr");
        long r = (long) Fi.CALL_CQ_READERR.invokeExact(fn, cq, e.errEntry, 0L);
        int err = r >= 0 ? e.errEntry.get(java.lang.foreign.ValueLayout.JAVA_INT, Fi.CQERR_ERR) : (int) -r;
        if (err == Fi.FI_ETRUNC) {
            return fatal(new ProtocolException(ProtocolError.OVERSIZED,
                    "a message from " + peerDescription + " was larger than the slot it targeted"));
        }
        RuntimeException f = failure;
        if (f != null) {
            return f;
        }
        PeerFailedException ex = new PeerFailedException(what + " with " + peerDescription + " failed: "
                + Fi.strerror(err) + " (provider errno " + e.errEntry.get(java.lang.foreign.ValueLayout.JAVA_INT,
                Fi.CQERR_PROV_ERRNO) + ")");
        fail(ex);
        return ex;
    }

    /** A protocol error of the peer: fails the connection and closes the out-of-band socket. */
    RuntimeException fatal(ProtocolException ex) {
        fail(ex);
        closeSocket();
        return ex;
    }

    /** Whether {@link #close} began. */
    boolean closed() {
        return closed;
    }

    // ---- guard against close() freeing memory under a running call -------------------------------

    private boolean enter() {
        BUSY.getAndAdd(this, 1);
        if (closed) {
            BUSY.getAndAdd(this, -1);
            return false;
        }
        return true;
    }

    private void exit() {
        BUSY.getAndAdd(this, -1);
    }

    private void enterOrThrow() {
        if (!enter()) {
            RuntimeException f = failure;
            throw f != null ? f : new PeerFailedException("fabric connection to " + peerDescription + " is closed");
        }
    }

    // ---- Connection ------------------------------------------------------------------------------

    @Override
    public ConnectionSpec localSpec() {
        return local;
    }

    @Override
    public ConnectionSpec peerSpec() {
        return peer.spec();
    }

    @Override
    public String peerDescription() {
        return peerDescription;
    }

    /** How a warm {@link #await} of this connection sleeps: fi_cq_sread, wake endpoint, wake socket or back-off. */
    String warmWaitKind() {
        return receiver.warmWaitKind();
    }

    /** The capabilities and data path of this connection's provider. */
    FabricCapabilities capabilities() {
        return caps;
    }

    @Override
    public MemorySegment receiveSlot(int slot) {
        if (slot < 0 || slot >= local.slots()) {
            throw new IllegalArgumentException("slot " + slot + " outside 0.." + (local.slots() - 1));
        }
        return e.region.asSlice(slot * e.stride + Hello.SLOT_DATA_OFFSET, local.slotSize());
    }

    @Override
    public MemorySegment allocateBuffer(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bytes);
        }
        enterOrThrow();
        try {
            return e.allocateBuffer(bytes);
        } finally {
            exit();
        }
    }

    @Override
    public void write(int peerSlot, MemorySegment source, long offset, int length, int immediate) {
        ConnectionSpec p = peer.spec();
        if (peerSlot < 0 || peerSlot >= p.slots()) {
            throw new IllegalArgumentException("peer slot " + peerSlot + " outside 0.." + (p.slots() - 1));
        }
        if (length < 0 || length > p.slotSize()) {
            throw new IllegalArgumentException("length " + length + " exceeds the peer's slot size " + p.slotSize());
        }
        if (offset < 0 || offset + length > source.byteSize()) {
            throw new IndexOutOfBoundsException("offset " + offset + " + length " + length
                    + " outside the source's " + source.byteSize() + " bytes");
        }
        enterOrThrow();
        try {
            checkFailure(false);
            long src = source.address() + offset;
            sender.write(peerSlot, src, e.descriptorFor(src, length), length, immediate);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    @Override
    public boolean poll(Completion into) {
        enterOrThrow();
        try {
            return receiver.poll(into);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    @Override
    public boolean await(Completion into, long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return poll(into);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        enterOrThrow();
        try {
            return receiver.await(into, deadline);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    @Override
    public void release(int slot) {
        if (slot < 0 || slot >= local.slots()) {
            throw new IllegalArgumentException("slot " + slot + " outside 0.." + (local.slots() - 1));
        }
        if (caps.mode() == DataMode.MSG) {
            enterOrThrow();
            try {
                receiver.release(slot);
            } catch (Throwable t) {
                throw Fi.rethrow(t);
            } finally {
                exit();
            }
        }
    }

    @Override
    public boolean releaseRequired() {
        return caps.mode() == DataMode.MSG;
    }

    @Override
    public long fetchAndAdd(int index, long delta) {
        if (index < 0 || index >= peer.spec().counters()) {
            throw new IllegalArgumentException("counter " + index + " outside the peer's " + peer.spec().counters());
        }
        enterOrThrow();
        try {
            checkFailure(false);
            return peer.nativeAtomics() ? sender.fetchAdd(index, delta) : fetchAddEmulated(index, delta);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        } finally {
            exit();
        }
    }

    private long fetchAddEmulated(int index, long delta) throws IOException {
        faaReplyReady = false;
        faaWaiter = Thread.currentThread();
        try {
            oobChannel.send(OobFrame.TYPE_FAA_REQUEST, index, delta);
            while (!faaReplyReady) {
                checkFailure(false);
                LockSupport.parkNanos(1_000_000);
            }
            return faaReply;
        } catch (IOException ex) {
            checkFailure(false);
            throw new PeerFailedException("fetch-and-add to " + peerDescription + " failed: " + ex, ex);
        } finally {
            faaWaiter = null;
        }
    }

    @Override
    public long localCounter(int index) {
        if (index < 0 || index >= local.counters()) {
            throw new IllegalArgumentException("counter " + index + " outside 0.." + (local.counters() - 1));
        }
        return (long) COUNTER.getVolatile(e.region, e.counterOffset + 8L * index);
    }

    @Override
    public boolean isOpen() {
        return !closed && failure == null;
    }

    // ---- close -----------------------------------------------------------------------------------

    private void closeSocket() {
        try {
            oob.close();
        } catch (IOException ex) {
            LOG.debug("closing out-of-band socket", ex);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        oobChannel.stopHeartbeats();
        sayBye();
        closeSocket();
        transport.forget(this);
        receiver.wakeSleeper();
        // A thread in fi_cq_sread leaves within a slice; wait for it to leave native code.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while ((int) BUSY.getVolatile(this) > 0) {
            if (System.nanoTime() > deadline) {
                LOG.warn("fabric connection to {}: a thread is still inside libfabric after 2 s; leaking its"
                        + " native resources rather than freeing them under it", peerDescription);
                return;
            }
            LockSupport.parkNanos(1_000_000);
        }
        joinLiveness();
        freeNative();
    }

    /** Waits for the out-of-band thread: it may be adding to a counter in the region, which must outlive it. */
    private void joinLiveness() {
        if (liveness != null) {
            try {
                liveness.join(2000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Tells a live peer this close is orderly, so that it may fi_close its endpoint (see freeNative). */
    private void sayBye() {
        if (failure != null) {
            return;
        }
        try {
            oobChannel.send(OobFrame.TYPE_BYE, 0, 0);
        } catch (IOException ex) {
            LOG.debug("could not say goodbye to {}: {}", peerDescription, ex.toString());
        }
    }

    private void closeQuietly() {
        closed = true;
        oobChannel.stopHeartbeats();
        closeSocket();
        joinLiveness();
        freeNative();
    }

    private synchronized void freeNative() {
        // An endpoint whose peer died without a goodbye may not be closed safely (FabricEndpoint#release).
        boolean unsafeToClose = failure != null && !peerSaidBye && !caps.closesSafelyAfterPeerDeath()
                && !transport.context().closeFailedEndpoints();
        e.release(unsafeToClose, peerDescription, failure);
    }

    @Override
    public String toString() {
        return "FabricConnection[" + peerDescription + ", " + caps.mode() + "]";
    }
}
