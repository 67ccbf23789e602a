package org.rfaas.transport.fabric;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.rfaas.transport.ThreadPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A domain's {@link PreparedEndpoint}s, opened ahead of time so that a connection's handshake
 * does not wait for {@code fi_enable}: without them each side of a {@code fabric:tcp} handshake
 * opened its endpoints in turn, ~80 of a connection's ~100 ms here.
 *
 * <p>Each kind of endpoint (wait object, wake-up endpoint, CQ size) has a <em>kept</em> count:
 * one for every listener that accepts such connections, plus what {@code keepPrepared} asked
 * for. The pool opens endpoints on one background thread at nice 19 (it takes only what busy
 * threads leave; a refill must not delay a lease's first calls) until that many are ready, again
 * after each one taken; a closing listener closes ready ones beyond the count. A connection that
 * finds none ready opens its own at once rather than wait for the background one.
 */
final class EndpointPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointPool.class);

    private final FabricDomain dom;
    /** By {@link #key}; guarded by this. */
    private final Map<Long, Kind> kinds = new HashMap<>();
    private ExecutorService opener;
    private boolean closed;

    /** One kind of endpoint and its counts; guarded by the pool. */
    private static final class Kind {
        final boolean sreadWait;
        final boolean wakeEndpoint;
        final long rxCqSize;
        final ArrayDeque<PreparedEndpoint> ready = new ArrayDeque<>();
        int listeners;
        int asked;
        int opening;

        Kind(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
            this.sreadWait = sreadWait;
            this.wakeEndpoint = wakeEndpoint;
            this.rxCqSize = rxCqSize;
        }

        int kept() {
            return listeners + asked;
        }
    }

    EndpointPool(FabricDomain dom) {
        this.dom = dom;
    }

    private static long key(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        return rxCqSize << 2 | (sreadWait ? 1 : 0) | (wakeEndpoint ? 2 : 0);
    }

    private Kind kind(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        return kinds.computeIfAbsent(key(sreadWait, wakeEndpoint, rxCqSize),
                k -> new Kind(sreadWait, wakeEndpoint, rxCqSize));
    }

    /** A ready endpoint of this kind, or {@code null}; taking one starts its replacement when it is kept. */
    PreparedEndpoint take(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        synchronized (this) {
            Kind k = kinds.get(key(sreadWait, wakeEndpoint, rxCqSize));
            PreparedEndpoint p = k == null ? null : k.ready.pollFirst();
            if (p != null) {
                fill(k);
            }
            return p;
        }
    }

    /** A listener for connections of this kind opened ({@code +1}) or closed ({@code -1}). */
    void listener(boolean sreadWait, boolean wakeEndpoint, long rxCqSize, int delta) {
        List<PreparedEndpoint> surplus;
        synchronized (this) {
            Kind k = kind(sreadWait, wakeEndpoint, rxCqSize);
            k.listeners = Math.max(0, k.listeners + delta);
            fill(k);
            surplus = trim(k);
        }
        surplus.forEach(PreparedEndpoint::close);
    }

    /**
     * Keeps {@code count} endpoints of this kind ready besides the listeners' (refilled after each
     * one taken). A lower count stops refills but closes nothing: what is ready stays for the next
     * connections, so that a spare can stop refilling before its lease's connections take them.
     */
    synchronized void keep(boolean sreadWait, boolean wakeEndpoint, long rxCqSize, int count) {
        Kind k = kind(sreadWait, wakeEndpoint, rxCqSize);
        k.asked = Math.max(0, count);
        fill(k);
    }

    /** Endpoints of this kind ready now (tests). */
    synchronized int ready(boolean sreadWait, boolean wakeEndpoint, long rxCqSize) {
        Kind k = kinds.get(key(sreadWait, wakeEndpoint, rxCqSize));
        return k == null ? 0 : k.ready.size();
    }

    private void fill(Kind k) {
        while (!closed && k.ready.size() + k.opening < k.kept()) {
            k.opening++;
            opener().execute(() -> open(k));
        }
    }

    private List<PreparedEndpoint> trim(Kind k) {
        List<PreparedEndpoint> surplus = new ArrayList<>();
        while (k.ready.size() > k.kept()) {
            surplus.add(k.ready.pollLast());
        }
        return surplus;
    }

    private ExecutorService opener() {
        if (opener == null) {
            opener = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("rfaas-fabric-prepare")
                    .factory());
            opener.execute(ThreadPolicy::lowerThisThread);
        }
        return opener;
    }

    /** On the opener thread: one endpoint of kind {@code k}, kept when still wanted. */
    private void open(Kind k) {
        PreparedEndpoint p;
        synchronized (this) {
            if (closed || k.ready.size() + k.opening > k.kept()) {
                k.opening--;
                return; // no longer wanted (a listener closed meanwhile)
            }
        }
        try {
            p = PreparedEndpoint.open(dom, k.sreadWait, k.wakeEndpoint, k.rxCqSize);
        } catch (RuntimeException e) {
            LOG.debug("cannot prepare a {} endpoint ahead of time: {}", dom.caps.provider(), e.toString());
            p = null;
        }
        synchronized (this) {
            k.opening--;
            if (p != null && !closed && k.ready.size() < k.kept()) {
                k.ready.addLast(p);
                p = null;
            }
        }
        if (p != null) {
            p.close();
        }
    }

    /** Closes the ready endpoints and waits (bounded) for one being opened, before the domain closes. */
    @Override
    public void close() {
        List<PreparedEndpoint> all = new ArrayList<>();
        ExecutorService o;
        synchronized (this) {
            closed = true;
            for (Kind k : kinds.values()) {
                all.addAll(k.ready);
                k.ready.clear();
            }
            o = opener;
        }
        all.forEach(PreparedEndpoint::close);
        if (o != null) {
            o.shutdownNow();
            try {
                if (!o.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("an endpoint being prepared for {} did not finish within 10 s", dom.caps.provider());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
