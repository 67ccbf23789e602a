package org.rfaas.client;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.HandshakeRehearsal;
import org.rfaas.transport.Listener;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * Warms this process's invocation path before its first real call, without a lease: a loopback
 * echo worker in this process, on the same transport, serves blocking calls made through the
 * very classes and call sites a lease's calls use ({@link WorkerChannel}, {@link InvocationSlot},
 * the transport's connection class, the wire flyweights), so that the JIT has compiled them (with
 * the same, monomorphic type profiles) before the first real call rather than during its first few
 * thousand. Measured: a fresh client's first calls otherwise ran at 2-10x the median with
 * millisecond outliers while its compiler threads took the cores.
 *
 * <p>Threads: runs on the caller's thread plus one echo thread, joined before it returns; the
 * loopback connection and listener are closed too. The transport itself stays open (the lease uses it).
 *
 * <p>Public for {@link #rehearse}, a training run's entry; clients warm up through
 * {@link RfaasClient.Builder#warmUp}.
 */
public final class HotPathWarmup {
    /** Name of the echo thread (gone when {@link #run} returns). */
    static final String ECHO_THREAD = "rfaas-client-warmup-echo";
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);
    /** Empty polls before the echo sleeps in the transport (a few µs). */
    private static final int SPIN_POLLS = 1_000;
    /** Longest sleep of the echo: it looks at its stop flag between two. */
    private static final long AWAIT_NANOS = 1_000_000L;
    /**
     * Each round on a fresh connection and channel: branches a lease's first calls take on new
     * objects (and a compiled method had never seen taken) are then in the profile too.
     */
    private static final int ROUNDS = 2;
    /** Larger inputs add copying time, not compilation: the path is the same. */
    private static final int MAX_WARMUP_INPUT = 64 * 1024;
    /** The size of the short calls. */
    private static final int SHORT_INPUT = 8;
    /** The loopback executor's one function (its echo answers any). */
    private static final String FUNCTION = "warm-up";

    private HotPathWarmup() {
    }

    /**
     * Opens {@code transportName}, makes {@code calls} loopback calls over it as a lease of one
     * core with 1 KiB inputs and outputs would, and closes it. For the training run of an AOT
     * cache (the {@code rfaas} CLI's): the JVM then archives the invocation path's classes, linked,
     * with the profiles of these calls, for the processes that start from the cache.
     *
     * @return calls whose echo came back intact (all of them, or it throws)
     * @throws org.rfaas.transport.TransportException when the transport cannot be opened here or
     *     the loopback connection fails
     */
    public static int rehearse(String transportName, int calls) {
        try (Transport transport = Transports.open(transportName)) {
            return run(transport, transportName, 2, 1024, 1024, calls);
        }
    }

    /**
     * Makes {@code calls} echo calls of the size a lease with these capacities would carry, over a
     * loopback connection of {@code transport} ({@code transportName}, e.g. {@code fabric:tcp})
     * with the lease's connection specs.
     *
     * @return calls whose echo came back intact (all of them, or it throws)
     * @throws org.rfaas.transport.TransportException when the loopback connection fails
     */
    static int run(Transport transport, String transportName, int slots, int inputCapacity, int outputCapacity,
            int calls) {
        int length = Math.min(MAX_WARMUP_INPUT, Math.min(inputCapacity, outputCapacity));
        ConnectionSpec workerSide = workerSide(slots, inputCapacity);
        try (Listener listener = transport.listen(Transports.loopbackAddress(transportName),
                clientSide(slots, outputCapacity))) {
            int done = 0;
            for (int round = 0; round < ROUNDS; round++) {
                done += round(transport, listener, workerSide, slots, inputCapacity, outputCapacity, length,
                        calls / ROUNDS + (round < calls % ROUNDS ? 1 : 0));
            }
            return done;
        }
    }

    /**
     * Makes {@code handshakes} loopback connections over {@code transport} with a lease's
     * connection specs and drops them ({@link HandshakeRehearsal}), so that this process's end of
     * a worker connection's handshake is compiled; returns the connections made.
     *
     * @throws org.rfaas.transport.TransportException when a loopback connection fails
     */
    static int handshakes(Transport transport, String transportName, int slots, int inputCapacity, int outputCapacity,
            int handshakes) {
        if (handshakes <= 0 || !HandshakeRehearsal.applies(transportName)) {
            return 0;
        }
        try (Listener listener = transport.listen(Transports.loopbackAddress(transportName),
                clientSide(slots, outputCapacity))) {
            return HandshakeRehearsal.run(transport, transportName, listener, workerSide(slots, inputCapacity),
                    handshakes, HandshakeRehearsal.DEFAULT_BUDGET, () -> false);
        }
    }

    /**
     * The client's end of a lease's worker connection: a result slot per call slot and one for the
     * worker's notices, each holding an output of {@code outputCapacity}.
     */
    static ConnectionSpec clientSide(int slotsPerWorker, int outputCapacity) {
        return new ConnectionSpec(slotsPerWorker + 1, ReplyHeader.resultSlotSize(outputCapacity), 0);
    }

    /** The worker's end of that connection: a receive slot per call slot, for inputs of {@code inputCapacity}. */
    private static ConnectionSpec workerSide(int slotsPerWorker, int inputCapacity) {
        return new ConnectionSpec(slotsPerWorker, InvocationHeader.slotSize(inputCapacity), 0);
    }

    /** One loopback connection, its echo thread and {@code calls} calls; all of it closed and joined. */
    private static int round(Transport transport, Listener listener, ConnectionSpec workerSide, int slots,
            int inputCapacity, int outputCapacity, int length, int calls) {
        Echo echo = new Echo(transport, listener.address(), workerSide, outputCapacity);
        Thread thread = Thread.ofPlatform().daemon().name(ECHO_THREAD).start(echo);
        Connection connection = null;
        try {
            connection = listener.accept(STEP_TIMEOUT);
            if (connection == null) {
                throw new ExecutorLostException("the warm-up's loopback worker did not connect within "
                        + STEP_TIMEOUT.toSeconds() + " s" + echo.why());
            }
            // A loopback executor (no lease, no control link) around the connection: the calls go
            // through the same public methods as a lease's, which are then compiled too.
            RemoteExecutor executor = new RemoteExecutor(0, "warm-up", Long.MAX_VALUE, inputCapacity, outputCapacity,
                    List.of(FUNCTION), List.of(connection), slots, null, 0, () -> { }, link -> { }, false,
                    new PollerThread());
            try {
                return callEcho(executor, length, calls);
            } finally {
                executor.close();
            }
        } finally {
            echo.stop = true;
            if (connection != null) {
                connection.close();
            }
            join(thread);
        }
    }

    /**
     * Blocking calls through the executor's three blocking forms in turn (caller's segments, byte
     * arrays, a zero-copy slot), every fourth one short (at most 8 bytes: a message that travels
     * inside the completion), each echo checked.
     */
    private static int callEcho(RemoteExecutor executor, int length, int calls) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment input = arena.allocate(Math.max(1, length)).asSlice(0, length);
            MemorySegment output = arena.allocate(Math.max(1, length));
            byte[] bytes = new byte[length];
            byte[] shortBytes = new byte[Math.min(SHORT_INPUT, length)];
            int fn = executor.functionIndex(FUNCTION);
            for (int i = 0; i < calls; i++) {
                boolean small = (i & 3) == 3;
                int n = small ? Math.min(SHORT_INPUT, length) : length;
                byte mark = (byte) i;
                int got;
                byte first;
                switch ((i >> 2) % 3) {
                    case 0 -> {
                        if (n > 0) {
                            input.set(ValueLayout.JAVA_BYTE, 0, mark);
                        }
                        got = executor.invoke(FUNCTION, input.asSlice(0, n), output, WaitMode.HOT);
                        first = output.get(ValueLayout.JAVA_BYTE, 0);
                    }
                    case 1 -> {
                        byte[] in = small ? shortBytes : bytes;
                        if (n > 0) {
                            in[0] = mark;
                        }
                        byte[] out = executor.invoke(FUNCTION, in, WaitMode.HOT);
                        got = out.length;
                        first = n > 0 ? out[0] : 0;
                    }
                    default -> {
                        try (InvocationSlot s = executor.acquireSlot()) {
                            if (n > 0) {
                                s.input().set(ValueLayout.JAVA_BYTE, 0, mark);
                            }
                            got = s.invoke(fn, n, executor.outputCapacity(), WaitMode.HOT);
                            first = s.output().get(ValueLayout.JAVA_BYTE, 0);
                        }
                    }
                }
                if (got != n || (n > 0 && first != mark)) {
                    throw new InvocationProtocolException("warm-up call " + i + " came back altered (" + got + " of "
                            + n + " bytes)");
                }
            }
            return calls;
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(STEP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The echo worker: the executor's reply path for a function that copies its input to its output. */
    private static final class Echo implements Runnable {
        private final Transport transport;
        private final String address;
        private final ConnectionSpec spec;
        private final int outputCapacity;
        volatile boolean stop;
        private volatile Throwable failure;

        Echo(Transport transport, String address, ConnectionSpec spec, int outputCapacity) {
            this.transport = transport;
            this.address = address;
            this.spec = spec;
            this.outputCapacity = outputCapacity;
        }

        String why() {
            Throwable f = failure;
            return f == null ? "" : ": " + f.getMessage();
        }

        @Override
        public void run() {
            try (Connection c = transport.connect(address, spec, STEP_TIMEOUT)) {
                serve(c);
            } catch (PeerFailedException e) {
                // The client side closed: the warm-up is over.
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        private void serve(Connection c) {
            int resultSlots = c.peerSpec().slots() - 1;
            MemorySegment sendBuffer = c.allocateBuffer(ReplyHeader.LENGTH + (long) outputCapacity);
            MemorySegment[] replyMemory = new MemorySegment[resultSlots];
            for (int s = 0; s < resultSlots; s++) {
                replyMemory[s] = c.sharedPeerSlot(s).orElse(sendBuffer);
            }
            Completion completion = new Completion();
            InvocationHeader invocation = new InvocationHeader();
            ReplyHeader reply = new ReplyHeader();
            int emptyPolls = 0;
            while (!stop) {
                // Spin a little, then sleep in the transport: two threads spinning on two busy cores
                // took a core from each other for whole time slices (20,000 calls in up to 17 s),
                // and the lease's executor starts meanwhile. Both branches of the caller's write
                // (peer asleep or not) are then in its profile, as in a lease with a hot timeout.
                boolean arrived = c.poll(completion)
                        || (++emptyPolls >= SPIN_POLLS && c.await(completion, AWAIT_NANOS));
                if (!arrived) {
                    Thread.onSpinWait();
                    continue;
                }
                emptyPolls = 0;
                int slot = completion.slot();
                invocation.wrap(c.receiveHead(slot), 0).validate(completion.length(), completion.immediate(),
                        resultSlots, outputCapacity);
                int id = invocation.invocationId();
                int resultSlot = invocation.resultSlot();
                int length = invocation.inputLength();
                MemorySegment memory = replyMemory[resultSlot];
                MemorySegment.copy(c.receiveSlot(slot), InvocationHeader.LENGTH, memory, ReplyHeader.LENGTH, length);
                c.release(slot);
                reply.wrap(memory, 0).write(MessageType.REPLY, id, Status.OK, length);
                c.write(resultSlot, memory, 0, ReplyHeader.LENGTH + length, id);
            }
        }
    }
}
