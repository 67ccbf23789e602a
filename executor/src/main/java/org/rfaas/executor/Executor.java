package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.rfaas.protocol.AccountingCounters;
import org.rfaas.protocol.ExecutorHello;
import org.rfaas.protocol.ExecutorShutdown;
import org.rfaas.protocol.InvocationHeader;
import org.rfaas.protocol.LeaseEndReason;
import org.rfaas.protocol.Limits;
import org.rfaas.protocol.ReplyHeader;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor process of one lease: connects to its manager (accounting), loads the function
 * package, starts one {@link Worker} per leased core (each connected to the client), flushes
 * accounting deltas with remote fetch-and-add every flush interval and at exit, and stops when the
 * manager says so, when every client connection is gone, or on SIGTERM.
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final long STOP_JOIN_MILLIS = 2_000;

    private final ExecutorSettings settings;
    private final long[] flushed = new long[AccountingCounters.COUNT];
    private final List<Worker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile LeaseEndReason externalStop;

    public Executor(ExecutorSettings settings) {
        this.settings = settings;
    }

    /** Runs until the lease ends; returns the process exit code. */
    public int run() {
        Transport managerTransport = Transports.open(Transports.transportOf(settings.managerAddress()));
        Transport clientTransport = sameTransport(settings.managerAddress(), settings.clientAddress())
                ? managerTransport : Transports.open(Transports.transportOf(settings.clientAddress()));
        Connection manager = managerTransport.connect(settings.managerAddress(), new ConnectionSpec(2, 64, 0),
                CONNECT_TIMEOUT);
        MemorySegment control = manager.allocateBuffer(64);
        int length = new ExecutorHello(settings.leaseId(), settings.spawnSecret(), ProcessHandle.current().pid())
                .encode(control, 0);
        manager.write(0, control, 0, length, 0);
        try {
            FunctionTable functions = FunctionTable.load(settings.packageKind(), settings.packagePath(),
                    settings.functionNames());
            LOG.info("lease {}: loaded {} function(s) {} from {}", settings.leaseId(), functions.size(),
                    functions.names(), settings.packagePath().getFileName());
            startWorkers(clientTransport, functions);
            LeaseEndReason reason = superviseUntilStop(manager);
            LOG.info("lease {}: stopping ({})", settings.leaseId(), reason);
            stopWorkers(reason);
            flush(manager);
            return 0;
        } catch (FunctionLoadException e) {
            LOG.error("lease {}: {}", settings.leaseId(), e.getMessage());
            System.err.println("rfaas-executor: " + e.getMessage());
            return 3;
        } finally {
            manager.close();
            managerTransport.close();
            if (clientTransport != managerTransport) {
                clientTransport.close();
            }
            finished.countDown();
        }
    }

    /** Asks a running executor to stop (used by the SIGTERM hook); waits up to {@code timeout}. */
    public void stop(LeaseEndReason reason, Duration timeout) {
        externalStop = reason;
        try {
            finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean sameTransport(String a, String b) {
        return Transports.transportOf(a).equals(Transports.transportOf(b));
    }

    private void startWorkers(Transport transport, FunctionTable functions) {
        int slotSize = align8(InvocationHeader.LENGTH + (long) settings.inputCapacity());
        ConnectionSpec spec = new ConnectionSpec(settings.slots(), slotSize, 0);
        for (int i = 0; i < settings.cores(); i++) {
            Connection c = transport.connect(settings.clientAddress(), spec, CONNECT_TIMEOUT);
            Worker w = new Worker(i, settings.cores(), c, functions, settings.hotTimeoutMicros(),
                    settings.inputCapacity(), settings.outputCapacity(), settings.leaseId(), settings.clientNonce());
            workers.add(w);
            Thread t = new Thread(w, "rfaas-worker-" + i);
            threads.add(t);
            // Start at once: the worker's hello is what the client waits for before accepting the next.
            t.start();
        }
    }

    private LeaseEndReason superviseUntilStop(Connection manager) {
        Completion c = new Completion();
        long flushNanos = Math.max(1, settings.flushIntervalMillis()) * 1_000_000L;
        long nextFlush = System.nanoTime() + flushNanos;
        while (true) {
            if (externalStop != null) {
                return externalStop;
            }
            boolean got;
            try {
                got = manager.await(c, Math.min(flushNanos, 50_000_000L));
            } catch (PeerFailedException e) {
                LOG.warn("lease {}: executor manager connection lost: {}", settings.leaseId(), e.getMessage());
                return LeaseEndReason.MANAGER_SHUTDOWN;
            }
            if (got) {
                LeaseEndReason reason = ExecutorShutdown.decode(manager.receiveSlot(c.slot()), 0, c.length());
                manager.release(c.slot());
                return reason;
            }
            if (workers.stream().allMatch(Worker::finishedConnection)) {
                return LeaseEndReason.CLIENT_LOST;
            }
            if (System.nanoTime() - nextFlush >= 0) {
                flush(manager);
                nextFlush = System.nanoTime() + flushNanos;
            }
        }
    }

    private void stopWorkers(LeaseEndReason reason) {
        workers.forEach(w -> w.stop(reason));
        long deadline = System.currentTimeMillis() + STOP_JOIN_MILLIS;
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                LOG.warn("lease {}: {} still busy after {} ms (a function that does not return)", settings.leaseId(),
                        t.getName(), STOP_JOIN_MILLIS);
            }
        }
    }

    /** Sends what the workers accumulated since the last flush. */
    private void flush(Connection manager) {
        for (int counter = 0; counter < AccountingCounters.COUNT; counter++) {
            long total = 0;
            for (Worker w : workers) {
                total += w.counters().get(counter);
            }
            long delta = total - flushed[counter];
            if (delta != 0) {
                try {
                    manager.fetchAndAdd(counter, delta);
                    flushed[counter] = total;
                } catch (TransportException e) {
                    LOG.warn("lease {}: cannot flush accounting: {}", settings.leaseId(), e.getMessage());
                    return;
                }
            }
        }
    }

    static int align8(long bytes) {
        long aligned = (bytes + 7) & ~7L;
        if (aligned > ConnectionSpec.MAX_SLOT_SIZE) {
            throw new IllegalArgumentException(bytes + " bytes exceed the largest slot");
        }
        return (int) aligned;
    }

    /** Size of a client result slot for {@code outputCapacity}: replies and error messages fit. */
    public static int clientSlotSize(int outputCapacity) {
        return align8(ReplyHeader.LENGTH + (long) Math.max(outputCapacity, Limits.MAX_MESSAGE_BYTES));
    }
}
