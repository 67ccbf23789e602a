package org.rfaas.transport;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A listener's unfinished handshakes, oldest first, bounded in all and per source address, so
 * that a flood of silent connections costs a bounded number of sockets and buffers and pushes out
 * its own oldest, not another host's. Listeners read every entry's bytes side by side and drop each
 * at its own deadline. Not thread-safe: the listener's lock guards it.
 *
 * @param <P> a listener's record of one accepted peer (its socket, buffer and deadline)
 */
public final class PendingHandshakes<P> implements Iterable<P> {
    private final int max;
    private final int maxPerSource;
    private final Function<P, Object> sourceOf;
    private final ArrayDeque<P> pending = new ArrayDeque<>();
    private final Map<Object, Integer> perSource = new HashMap<>();

    /**
     * @param max most entries in all
     * @param maxPerSource most entries from one source
     * @param sourceOf an entry's source (its peer's address; equal sources compare equal)
     */
    public PendingHandshakes(int max, int maxPerSource, Function<P, Object> sourceOf) {
        if (max < 1 || maxPerSource < 1) {
            throw new IllegalArgumentException("limits must be positive: " + max + ", " + maxPerSource);
        }
        this.max = max;
        this.maxPerSource = maxPerSource;
        this.sourceOf = sourceOf;
    }

    /**
     * Adds a newly accepted peer. Returns the entry it pushed out, already removed, for the caller
     * to close: the oldest from the same source when that source is at its limit, else the oldest
     * of all when the whole is full; null when there was room.
     */
    public P add(P peer) {
        Object source = sourceOf.apply(peer);
        P out = null;
        if (perSource.getOrDefault(source, 0) >= maxPerSource) {
            for (Iterator<P> it = iterator(); it.hasNext();) {
                P p = it.next();
                if (source.equals(sourceOf.apply(p))) {
                    it.remove();
                    out = p;
                    break;
                }
            }
        } else if (pending.size() >= max) {
            out = pending.peekFirst();
            removeFirst();
        }
        pending.addLast(peer);
        perSource.merge(source, 1, Integer::sum);
        return out;
    }

    private void removeFirst() {
        Iterator<P> it = iterator();
        it.next();
        it.remove();
    }

    /** Entries now. */
    public int size() {
        return pending.size();
    }

    /** Entries from {@code source} now. */
    public int fromSource(Object source) {
        return perSource.getOrDefault(source, 0);
    }

    /** Removes every entry; returns them, oldest first, for the caller to close. */
    public List<P> clear() {
        List<P> all = List.copyOf(pending);
        pending.clear();
        perSource.clear();
        return all;
    }

    /** Oldest first; {@link Iterator#remove} removes an entry (done or dropped) and uncounts it. */
    @Override
    public Iterator<P> iterator() {
        Iterator<P> it = pending.iterator();
        return new Iterator<>() {
            private P last;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public P next() {
                last = it.next();
                return last;
            }

            @Override
            public void remove() {
                it.remove();
                perSource.computeIfPresent(sourceOf.apply(last), (s, n) -> n <= 1 ? null : n - 1);
            }
        };
    }
}
