package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.protocol.LeaseEnded;
import org.rfaas.protocol.WorkerHello;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.Listener;
import org.rfaas.transport.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an allocation on the client: the executor's workers connect to the client's listener
 * and each says hello (lease, nonce, index, functions); a connection that never does, or says
 * something foreign, is dropped.
 */
final class WorkerHellos {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerHellos.class);
    /** Worker connections without a hello kept beyond one per leased core. */
    static final int MAX_EXTRA_UNPROVEN_WORKERS = 16;
    /** Longest wait in one connection for a worker's hello before the allocation's other checks. */
    private static final long HELLO_WAIT_NANOS = 1_000_000;

    private WorkerHellos() {
    }

    /**
     * Accepts one connection per core into {@code out} (by worker index) and reads each worker's
     * hello; returns the function table. Fails once {@code allocationTimeout} passed, when the
     * executor reports its start failed on {@code control}, or when workers disagree.
     *
     * <p>Accepting and reading hellos are interleaved: a connection whose hello has not arrived yet
     * is kept pending while the next one is accepted, and every wait is bounded by the allocation
     * deadline only. (Waiting for each hello in turn with a short timeout used to drop a worker
     * whose thread was slow to start on a loaded machine, and block the executor's next handshake
     * meanwhile; the executor does not reconnect a dropped worker, so the lease then never
     * completed: "only 1 of 2 workers connected".)
     */
    static List<String> accept(Listener listener, Connection control, long leaseId, long nonce,
            AllocationSpec spec, List<Connection> out, Duration allocationTimeout) {
        Connection[] byIndex = new Connection[spec.cores()];
        List<Connection> pending = new ArrayList<>();
        List<String> functions = null;
        Completion c = new Completion();
        long deadline = System.nanoTime() + allocationTimeout.toNanos();
        int connected = 0;
        boolean ok = false;
        try {
            while (connected < spec.cores()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AllocationRefusedException("only " + connected + " of " + spec.cores() + " workers of lease "
                            + leaseId + " connected within " + allocationTimeout.toMillis() + " ms (" + pending.size()
                            + " more connected but sent no hello)");
                }
                if (control.poll(c)) {
                    MemorySegment slot = control.receiveSlot(c.slot());
                    LeaseEnded e = LeaseEnded.decode(slot, 0, c.length());
                    control.release(c.slot());
                    throw new AllocationRefusedException("executor of lease " + leaseId + " failed to start ("
                            + e.reason() + "): " + e.message());
                }
                // Once as many connections as workers are missing wait for their hellos, the next
                // message is most likely a hello: wait for it in the transport (woken by the write,
                // where the listener's accept would sleep up to a millisecond before looking), and
                // only look for further connections (a peer that never says hello, say) in passing.
                Connection awaited = !pending.isEmpty() && pending.size() >= spec.cores() - connected
                        ? pending.getFirst() : null;
                try {
                    Connection w = listener.accept(awaited != null ? Duration.ZERO
                            : Duration.ofMillis(pending.isEmpty() ? 50 : 1));
                    if (w != null) {
                        pending.add(w);
                        if (pending.size() > spec.cores() + MAX_EXTRA_UNPROVEN_WORKERS) {
                            // Each holds the lease's receive slots: a flood of connections that
                            // never say hello costs a bounded amount of memory, its oldest dropped.
                            pending.removeFirst().close();
                            LOG.warn("lease {}: more than {} worker connections without a hello; dropped the oldest",
                                    leaseId, spec.cores() + MAX_EXTRA_UNPROVEN_WORKERS);
                        }
                    }
                } catch (ProtocolException e) {
                    // The executor retries a worker whose handshake failed; keep listening.
                    LOG.warn("lease {}: a worker handshake failed: {}", leaseId, e.getMessage());
                }
                for (var it = pending.iterator(); it.hasNext(); ) {
                    Connection w = it.next();
                    WorkerHello hello;
                    try {
                        if (!(w == awaited ? w.await(c, HELLO_WAIT_NANOS) : w.poll(c))) {
                            continue;
                        }
                        hello = WorkerHello.decode(w.receiveSlot(c.slot()), 0, c.length());
                        w.release(c.slot());
                    } catch (RuntimeException e) {
                        it.remove();
                        w.close();
                        LOG.warn("lease {}: dropped a worker connection before its hello: {}", leaseId, e.getMessage());
                        continue;
                    }
                    it.remove();
                    if (hello.leaseId() != leaseId || hello.nonce() != nonce || hello.workerCount() != spec.cores()
                            || byIndex[hello.workerIndex()] != null || hello.slots() != spec.slotsPerWorker()) {
                        w.close();
                        LOG.warn("lease {}: dropped a worker connection with a foreign or duplicate hello {}", leaseId,
                                hello.workerIndex());
                        continue;
                    }
                    if (functions == null) {
                        functions = hello.functions();
                    } else if (!functions.equals(hello.functions())) {
                        w.close();
                        throw new InvocationProtocolException("workers of lease " + leaseId
                                + " announce different functions");
                    }
                    byIndex[hello.workerIndex()] = w;
                    connected++;
                }
            }
            ok = true;
        } finally {
            pending.forEach(Connection::close);
            if (!ok) {
                for (Connection w : byIndex) {
                    if (w != null) {
                        w.close();
                    }
                }
            }
        }
        out.addAll(List.of(byIndex));
        return functions;
    }
}
