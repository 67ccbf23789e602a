package org.rfaas.executor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.rfaas.protocol.ExecutorAssignment;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects an executor's workers to the client, one connection per leased core, in order, while
 * the package loads on another thread (a spare's helper, else {@code rfaas-worker-connect} does
 * the connecting): connecting waits on the client (handshake round trips), loading uses the CPU.
 */
final class WorkerConnector {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerConnector.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long worker connections may take in all, retries included (clients wait up to their allocation timeout). */
    private static final Duration BUDGET = Duration.ofSeconds(120);

    private final ExecutorAssignment assignment;
    private final Transport transport;
    /** True once the executor is told to stop: no more retries. */
    private final BooleanSupplier stopping;

    WorkerConnector(ExecutorAssignment assignment, Transport transport, BooleanSupplier stopping) {
        this.assignment = assignment;
        this.transport = transport;
        this.stopping = stopping;
    }

    /** Starts connecting on a thread of its own; the future holds every worker's connection, or the first failure. */
    CompletableFuture<List<Connection>> start() {
        CompletableFuture<List<Connection>> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("rfaas-worker-connect").start(() -> {
            try {
                result.complete(connectAll());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** Connects every worker, in order, on the calling thread; closes those made when one fails. */
    List<Connection> connectAll() {
        int slotSize = InvocationHeader.slotSize(assignment.shape().inputCapacity());
        ConnectionSpec spec = new ConnectionSpec(assignment.shape().slotsPerWorker(), slotSize, 0);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        List<Connection> out = new ArrayList<>();
        boolean ok = false;
        try {
            for (int i = 0; i < assignment.shape().cores(); i++) {
                out.add(connect(spec, i, deadline));
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.forEach(Connection::close);
            }
        }
    }

    /** What {@code future} holds, or its failure rethrown as it was. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * Connects worker {@code index} to the client, retrying a failed handshake until
     * {@code deadline}: on a loaded node one handshake step can outlast the peer's handshake
     * timeout (the client then drops that attempt and keeps listening), and an executor that gave
     * up there would leave the lease without one of its workers.
     */
    private Connection connect(ConnectionSpec spec, int index, long deadline) {
        int attempt = 1;
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return transport.connect(assignment.clientAddress(), spec,
                        Duration.ofNanos(Math.max(CONNECT_TIMEOUT.toNanos(), left)));
            } catch (TransportException e) {
                if (stopping.getAsBoolean() || deadline - System.nanoTime() <= 0) {
                    throw e;
                }
                LOG.warn("lease {}: worker {} connection attempt {} to {} failed, retrying: {}", assignment.leaseId(),
                        index, attempt, assignment.clientAddress(), e.getMessage());
                attempt++;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
