package org.rfaas.transport;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A reliable connection with RDMA-like semantics.
 *
 * <h2>Threads</h2>
 * One thread at a time receives ({@link #poll}, {@link #await}, {@link #release}); one thread at a
 * time sends ({@link #write}, {@link #fetchAndAdd}); the receiving and the sending thread may
 * differ. {@link #close} may be called from any thread and wakes a blocked {@link #await}.
 *
 * <h2>Progress</h2>
 * Providers without one-sided remote atomics (tcp, some libfabric providers) apply a peer's
 * fetch-and-add when this side polls or awaits, like a libfabric manual-progress endpoint: a
 * connection whose counters are a fetch-and-add target must be polled or awaited by its owner.
 *
 * <h2>Failure</h2>
 * When the peer closes or dies (even by SIGKILL), every operation throws
 * {@link PeerFailedException} within a bounded time (at most 2 s) instead of hanging. A malformed
 * message from the peer throws {@link ProtocolException} and closes the connection.
 *
 * <h2>Hot paths</h2>
 * {@link #write}, {@link #poll} and {@link #await} allocate nothing and take no locks in the
 * common case.
 */
public interface Connection extends AutoCloseable {

    /** What this side registered. */
    ConnectionSpec localSpec();

    /** What the peer registered (learnt in the handshake). */
    ConnectionSpec peerSpec();

    /** A human-readable description of the peer, for logs. */
    String peerDescription();

    /**
     * The local receive slot {@code slot}: {@code localSpec().slotSize()} bytes of registered
     * memory that the peer writes into. Valid until the connection is closed.
     */
    MemorySegment receiveSlot(int slot);

    /** Bytes of a payload's head that {@link #receiveHead} holds: room for any protocol header. */
    int HEAD_BYTES = 40;

    /**
     * The first {@code min(length, HEAD_BYTES)} bytes of the payload that the last completion for
     * {@code slot} delivered, for reading a protocol header; the same bytes as the start of
     * {@link #receiveSlot}. Read-only by contract, valid from that completion until the next
     * {@link #poll} or {@link #await} on this connection or the slot's {@link #release}, whichever
     * comes first. The default is the receive slot itself. A provider that receives the head together
     * with the completion returns a private copy instead (shm: the ring entry the receiver has just
     * read carries it), so that validating a header does not wait for the slot's first cache line
     * to arrive from the writer's core before the rest of the payload is even requested.
     */
    default MemorySegment receiveHead(int slot) {
        return receiveSlot(slot);
    }

    /**
     * Allocates registered memory that can be the source of {@link #write}. Owned by the
     * connection and freed when it closes. Allocate once, reuse for every write.
     */
    MemorySegment allocateBuffer(long bytes);

    /**
     * The peer's receive slot {@code peerSlot} as memory this process writes directly, when the
     * provider shares memory with the peer (shm); empty when it does not (tcp, fabric). A payload
     * placed at the start of this view and sent with {@code write(peerSlot, view, 0, length, imm)}
     * is published without being copied, so a caller that builds its message here saves the
     * transport's copy. The peer may be reading the slot until the protocol above says otherwise
     * (for example until it has answered the message that slot carried): write into it only then.
     * Valid until the connection is closed; the same view on every call.
     */
    default Optional<MemorySegment> sharedPeerSlot(int peerSlot) {
        return Optional.empty();
    }

    /**
     * Payloads of at most this many bytes travel inside the completion itself (shm: in the ring
     * entry), whatever memory they are written from. Such a message is best built in memory of
     * this process's own ({@link #allocateBuffer}) rather than in a {@link #sharedPeerSlot}: the
     * shared slot's cache line would cross to this core and back for every message. 0 when the
     * provider has no such path.
     */
    default int inlineLimit() {
        return 0;
    }

    /**
     * Writes {@code length} bytes from {@code source} (memory from {@link #allocateBuffer}, a
     * {@link #receiveSlot} of this connection or a {@link #sharedPeerSlot}) at {@code offset} into the peer's receive slot
     * {@code peerSlot}, and delivers a completion carrying {@code immediate} to the peer. Returns
     * when {@code source} may be reused. From a receive slot at an {@code offset} of 32 or less, a
     * provider may overwrite the slot's first {@code offset} bytes (tcp puts its frame header in
     * front of the payload there, to send both in one system call).
     *
     * @throws IllegalArgumentException when the slot or length is out of the peer's spec
     * @throws PeerFailedException when the peer is gone
     */
    void write(int peerSlot, MemorySegment source, long offset, int length, int immediate);

    /**
     * Non-blocking check for a receive completion (hot polling).
     *
     * @return {@code true} when {@code into} was filled
     */
    boolean poll(Completion into);

    /**
     * Waits for a receive completion, sleeping in the kernel rather than spinning (warm).
     *
     * @param timeoutNanos the longest wait; {@code 0} behaves like {@link #poll}
     * @return {@code true} when {@code into} was filled, {@code false} on timeout
     */
    boolean await(Completion into, long timeoutNanos);

    /**
     * Hands local slot {@code slot} back after its contents were consumed. Providers that receive
     * into pre-posted buffers re-post it here; for one-sided providers this is bookkeeping only.
     * From then on the provider may write into the slot at any time (tcp reads a large frame
     * ahead into the slot it expects next), so a caller neither reads nor writes from a released
     * slot, and releases a slot only after the last {@link #write} from it.
     */
    void release(int slot);

    /**
     * Whether {@link #release} has any effect: {@code false} for one-sided providers (shm, fabric
     * over RMA), where the peer alone decides when it reuses a slot, so that a caller who makes its
     * releases take a turn or a lock may skip both. The same answer for the connection's lifetime.
     */
    default boolean releaseRequired() {
        return true;
    }

    /**
     * Atomically adds {@code delta} to the peer's counter {@code index} and returns its previous
     * value.
     */
    long fetchAndAdd(int index, long delta);

    /**
     * Reads this side's counter {@code index} (which the peer adds to). On a connection accepted by
     * a {@link CounterScope#LISTENER} listener this is the listener's shared counter, which the
     * peers of all its connections add to.
     */
    long localCounter(int index);

    /** {@code false} once closed locally or the peer is known to have failed. */
    boolean isOpen();

    /** Closes the connection; the peer sees {@link PeerFailedException}. Idempotent. */
    @Override
    void close();
}
