package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.MessageType;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.protocol.Status;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.HandshakeRehearsal;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Liveness;
import org.rfaas.transport.ThreadPolicy;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A spare's rehearsal of a lease's data path while it waits (on idle CPU time where the manager
 * puts the whole spare's cgroup at {@code cpu.idle}): over a client transport a lease may use, a
 * worker connects to a loopback listener in this JVM as a lease's worker connects to its client,
 * says hello and serves calls of the training package's functions through the real {@link Worker},
 * hot, until the JIT has compiled the serving path; then it makes and drops hundreds of worker
 * connections ({@link HandshakeRehearsal}), until the JIT has compiled the handshake. Without it a
 * lease's first calls ran while the JVM compiled ~250 methods on the lease's only core (tens of
 * calls over 1 ms in the first 2,000 of a lease), and a lease's worker connections ran their
 * handshake in the interpreter.
 *
 * <p>The rehearsal gives way to a lease: it stops within a call once {@code leaseArrived} says
 * so, and within {@link #BUDGET} in any case; every wait is bounded. Its threads run at the
 * process's own weight, never at {@code SCHED_IDLE} on their own: a leased spare's JVM would then
 * wait at every safepoint for a rehearsal thread that its lease's spinning worker starves (see
 * {@link ThreadPolicy}).
 */
final class SpareServingRehearsal {
    private static final Logger LOG = LoggerFactory.getLogger(SpareServingRehearsal.class);
    /**
     * The training package's functions, called in turn: two classes of function and both reply
     * paths (in place and not), so that the serving loop is compiled for any function (with one
     * function, a lease's own would deoptimize it at its first call and recompile it on the lease's
     * core, stalling its calls for 4 ms time slices).
     */
    static final List<String> FUNCTIONS = List.of("echo", "echo-in-place", "noop");
    private static final int NOOP = 2;
    /** Calls per transport at least: past the JIT's thresholds for the serving loop and what it calls. */
    static final int CALLS = 10_000;
    /**
     * After {@link #CALLS}, calls go on until the JVM's compilers finished nothing for this long:
     * over tcp the serving path was still in C1's profiling tier at 10,000 calls (its compiles
     * queued behind the previous transport's), so a lease's first calls recompiled it twice, on
     * the lease's core, beside the calls (journal, cold start, 2026-12-07 third session).
     */
    static final Duration JIT_QUIET = Duration.ofMillis(300);
    /** At most this long per transport (a busy machine gives a spare's idle weight little time). */
    static final Duration BUDGET = Duration.ofSeconds(4);
    /** How often (in calls) the compilers' total time is looked at. */
    private static final int JIT_CHECK_EVERY = 256;
    private static final int SLOTS = 2;
    private static final int CAPACITY = 1024;
    /**
     * Output capacity of the shape: every fifth call asks for this much, more than a slot holds in
     * place, as a lease with a large output capacity does (else the worker's in-place test was
     * compiled for one outcome and the lease's first call trapped out of it).
     */
    private static final int OUTPUT_CAPACITY = 2 * CAPACITY;
    /** Longer than {@link #PAUSE_MILLIS}: a pause leaves the worker spinning past its publishing interval. */
    private static final long HOT_TIMEOUT_MICROS = 20_000;
    /**
     * The client pauses this long every {@link #PAUSE_EVERY} calls: a lease's worker spins for
     * milliseconds between bursts and publishes its hot-polling time every 10 ms, a branch the
     * back-to-back calls never took (its first run deoptimised the spin loop in the lease).
     */
    private static final long PAUSE_MILLIS = 12;
    private static final int PAUSE_EVERY = 2_500;
    /**
     * Once, at call {@link #SILENCE_AT} (early: the budget may end the rehearsal long before
     * {@link #CALLS}, and the reader is profiled by then), the client stays silent for two
     * heartbeat intervals and more, so that both ends send and receive a HEARTBEAT (tcp, fabric)
     * and the worker goes warm: a lease's first idle moment otherwise sent the first heartbeat the
     * JVM's compiled reader saw, which deoptimized it.
     */
    private static final long SILENCE_MILLIS = 2 * Liveness.DEFAULT_HEARTBEAT_INTERVAL.toMillis() + 100;
    private static final int SILENCE_AT = 1_000;
    /** A client that spun this long without a reply sleeps in the transport instead (bounded waits). */
    private static final long SPIN_NANOS = 50_000;

    private SpareServingRehearsal() {
    }

    /**
     * Starts the rehearsal over each of {@code transportNames} in turn on a thread of its own, and
     * returns: a transport {@code preloaded} has is used, any other is
     * opened for the rehearsal and closed after it; {@code rehearsed} is told each transport's calls.
     * A failure only ends that transport's rehearsal.
     */
    static Thread start(List<String> transportNames, Function<String, Transport> preloaded, FunctionTable functions,
            BooleanSupplier leaseArrived, IntConsumer rehearsed) {
        return Thread.ofPlatform().daemon().name("rfaas-spare-rehearsal").start(() -> {
            for (String name : transportNames) {
                if (leaseArrived.getAsBoolean()) {
                    return;
                }
                Transport transport = preloaded.apply(name);
                boolean opened = transport == null;
                long t0 = System.nanoTime();
                try {
                    if (opened) {
                        transport = Transports.open(name);
                    }
                    int calls = run(transport, name, functions, leaseArrived);
                    rehearsed.accept(calls);
                    LOG.debug("spare: rehearsed {} calls over {} in {} ms", calls, name,
                            (System.nanoTime() - t0) / 1_000_000);
                } catch (RuntimeException e) {
                    LOG.debug("spare: the serving rehearsal over {} failed: {}", name, e.toString());
                } finally {
                    if (opened && transport != null) {
                        transport.close();
                    }
                }
            }
        });
    }

    /**
     * Rehearses over {@code transport} ({@code transportName}, e.g. {@code fabric:tcp}) with the
     * {@code echo} of {@code functions}; returns the calls whose echo came back intact.
     *
     * @throws IllegalStateException when a reply is wrong or a step does not happen in time
     */
    static int run(Transport transport, String transportName, FunctionTable functions, BooleanSupplier leaseArrived) {
        int[] calls = new int[FUNCTIONS.size()];
        for (int i = 0; i < calls.length; i++) {
            calls[i] = functions.names().indexOf(FUNCTIONS.get(i));
            if (calls[i] < 0) {
                throw new IllegalArgumentException("the rehearsal needs the functions " + FUNCTIONS + ", not "
                        + functions.names());
            }
        }
        long deadline = System.nanoTime() + BUDGET.toNanos();
        ExecutorShape shape = new ExecutorShape(1, 256, HOT_TIMEOUT_MICROS, SLOTS, CAPACITY, OUTPUT_CAPACITY);
        ConnectionSpec clientSide = new ConnectionSpec(SLOTS + 1, ReplyHeader.resultSlotSize(OUTPUT_CAPACITY), 0);
        ConnectionSpec workerSide = new ConnectionSpec(SLOTS, InvocationHeader.slotSize(CAPACITY), 0);
        AtomicReference<Worker> worker = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Connection client = null;
        Thread thread = null;
        try (Listener listener = transport.listen(Transports.loopbackAddress(transportName), clientSide)) {
            String address = listener.address();
            thread = Thread.ofPlatform().daemon().name("rfaas-spare-rehearsal-worker").start(() -> {
                try {
                    Connection c = transport.connect(address, workerSide, BUDGET);
                    Worker w = new Worker(0, shape, c, functions, 1, 2);
                    worker.set(w);
                    w.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            client = listener.accept(BUDGET);
            if (client == null) {
                throw new IllegalStateException("the rehearsal's worker did not connect" + why(failure));
            }
            Completion c = new Completion();
            awaitMessage(client, c, deadline, failure);
            WorkerHello hello = WorkerHello.decode(client.receiveSlot(c.slot()), 0, c.length());
            client.release(c.slot());
            if (!hello.functions().equals(functions.names())) {
                throw new IllegalStateException("the rehearsal's worker announced " + hello.functions());
            }
            int done = call(client, calls, deadline, leaseArrived, failure);
            // A lease's worker connections next (the listener's end is the client's, not ours).
            HandshakeRehearsal.run(transport, transportName, listener, workerSide, HandshakeRehearsal.DEFAULT_HANDSHAKES,
                    HandshakeRehearsal.DEFAULT_BUDGET, leaseArrived);
            awaitCompilersQuiet(leaseArrived);
            return done;
        } finally {
            // The worker says goodbye and closes its end first, the client's end after: closing
            // the client's end while the worker's notice was in flight, then the worker's,
            // crashed libfabric 1.17 (ofi_rxm) in fi_close, as after a peer's death.
            Worker w = worker.get();
            if (w != null) {
                w.stop(LeaseEndReason.RELEASED);
            }
            if (thread != null) {
                try {
                    thread.join(BUDGET.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (client != null) {
                client.close();
            }
        }
    }

    /**
     * Calls of 1-64 bytes from memory of the client's own, and every fourth one of
     * {@value #CAPACITY} bytes built in the worker's slot where the transport shares it (as a
     * lease's client sends them: short inputs staged, long ones in place), the functions in turn,
     * every fifth asking for {@value #OUTPUT_CAPACITY} bytes of output, with a pause every
     * {@value #PAUSE_EVERY} and a silence at {@value #SILENCE_AT}, until {@link #CALLS} and the
     * compilers quiet for {@link #JIT_QUIET}, the deadline or a lease; checks every reply (the
     * echoes return their input, the no-op nothing).
     */
    private static int call(Connection client, int[] functions, long deadline, BooleanSupplier leaseArrived,
            AtomicReference<Throwable> failure) {
        MemorySegment own = client.allocateBuffer(InvocationHeader.LENGTH + CAPACITY);
        MemorySegment shared = client.sharedPeerSlot(0).orElse(own);
        InvocationHeader header = new InvocationHeader();
        ReplyHeader reply = new ReplyHeader();
        Completion c = new Completion();
        int done = 0;
        JitQuiet jit = new JitQuiet();
        for (int call = 1; !leaseArrived.getAsBoolean() && System.nanoTime() - deadline < 0; call++) {
            if (call > CALLS && call % JIT_CHECK_EVERY == 0 && jit.quietFor(JIT_QUIET)) {
                break;
            }
            boolean large = call % 4 == 0;
            // short lengths repeat for 16 calls: a lease's calls often have one length, and the
            // worker's cached input view was otherwise compiled for a new length every call
            int inputLength = large ? CAPACITY : 1 + (call >> 4) % 64;
            MemorySegment send = large ? shared : own;
            int resultSlot = call % SLOTS;
            int id = InvocationHeader.invocationId(call, resultSlot);
            int which = call % functions.length;
            int outputLength = which == NOOP ? 0 : inputLength;
            int capacity = call % 5 == 0 ? OUTPUT_CAPACITY : CAPACITY;
            if (call == SILENCE_AT || call % PAUSE_EVERY == 0) {
                pause(call == SILENCE_AT ? SILENCE_MILLIS : PAUSE_MILLIS, leaseArrived);
            }
            header.wrap(send, 0).write(id, functions[which], resultSlot, capacity, inputLength);
            send.asSlice(InvocationHeader.LENGTH, inputLength).fill((byte) call);
            client.write(0, send, 0, InvocationHeader.LENGTH + inputLength, id);
            awaitMessage(client, c, deadline, failure);
            MemorySegment slot = client.receiveSlot(c.slot());
            MessageType type = reply.wrap(slot, 0).validate(c.length(), c.immediate());
            if (type != MessageType.REPLY || reply.invocationId() != id || reply.status() != Status.OK
                    || reply.payloadLength() != outputLength || outputLength > 0
                    && slot.get(ValueLayout.JAVA_BYTE, ReplyHeader.LENGTH + outputLength - 1) != (byte) call) {
                throw new IllegalStateException("rehearsal call " + call + " got a wrong reply: " + type + " "
                        + reply.status() + " of " + reply.payloadLength() + " bytes");
            }
            client.release(c.slot());
            done++;
        }
        return done;
    }

    /**
     * Whether the JVM's compilers have been quiet: its total compilation time unchanged over a
     * span. Without that figure (a JVM that does not keep it) it is always quiet, and the
     * rehearsal ends at {@link #CALLS}.
     */
    static final class JitQuiet {
        /** The compilers' total time in ms, or {@code null} where the JVM does not keep it. */
        private final LongSupplier totalMillis;
        private final LongSupplier clock;
        private long lastTotalMillis = -1;
        private long unchangedSince;

        JitQuiet() {
            this(compilationTime(), System::nanoTime);
        }

        /** Tests: the compilers' total time from {@code totalMillis} ({@code null}: not kept), time from {@code clock}. */
        JitQuiet(LongSupplier totalMillis, LongSupplier clock) {
            this.totalMillis = totalMillis;
            this.clock = clock;
            this.unchangedSince = clock.getAsLong();
        }

        private static LongSupplier compilationTime() {
            CompilationMXBean compilers = ManagementFactory.getCompilationMXBean();
            return compilers != null && compilers.isCompilationTimeMonitoringSupported()
                    ? compilers::getTotalCompilationTime : null;
        }

        /** True once the compilation time has not changed for {@code span}, as seen by the calls so far. */
        boolean quietFor(Duration span) {
            if (totalMillis == null) {
                return true;
            }
            long total = totalMillis.getAsLong();
            long now = clock.getAsLong();
            if (total != lastTotalMillis) {
                lastTotalMillis = total;
                unchangedSince = now;
                return false;
            }
            return now - unchangedSince >= span.toNanos();
        }
    }

    /**
     * Sleeps until the JVM's compilers finished nothing for {@link #JIT_QUIET} (or a lease
     * arrived, or {@link HandshakeRehearsal#DEFAULT_BUDGET} passed): the handshakes' compiles must not be left in
     * the queue for a lease's core.
     */
    private static void awaitCompilersQuiet(BooleanSupplier leaseArrived) {
        JitQuiet jit = new JitQuiet();
        long deadline = System.nanoTime() + HandshakeRehearsal.DEFAULT_BUDGET.toNanos();
        while (!jit.quietFor(JIT_QUIET) && System.nanoTime() - deadline < 0 && !leaseArrived.getAsBoolean()) {
            pause(20, leaseArrived);
        }
    }

    /** Sleeps {@code millis}, in 10 ms steps that end early once a lease arrived. */
    private static void pause(long millis, BooleanSupplier leaseArrived) {
        long end = System.nanoTime() + millis * 1_000_000L;
        try {
            for (long left = millis; left > 0 && !leaseArrived.getAsBoolean();
                    left = (end - System.nanoTime()) / 1_000_000L) {
                Thread.sleep(Math.min(10, left));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Spins briefly for the next message, then sleeps for it in the transport, up to {@code deadline}. */
    private static void awaitMessage(Connection client, Completion c, long deadline, AtomicReference<Throwable> failure) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!client.poll(c)) {
            long now = System.nanoTime();
            if (now - deadline > 0) {
                throw new IllegalStateException("the rehearsal's worker did not answer in time" + why(failure));
            }
            if (now - spinUntil > 0 && client.await(c, 1_000_000L)) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    private static String why(AtomicReference<Throwable> failure) {
        Throwable t = failure.get();
        return t == null ? "" : " (" + t + ")";
    }
}
