package org.rfaas.resourcemanager.events;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.rfaas.rmclient.ClusterEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resource manager's in-process event bus: every committed change to nodes and leases is
 * published here once, in commit order, and fanned out to subscribers (the HTTP event stream,
 * later a dashboard or metrics).
 *
 * <p>Publishing never blocks and never fails: each subscriber has a bounded queue, and a
 * subscriber whose queue is full is dropped (its {@link Subscription#dropped()} becomes true and
 * it sees no further event) rather than slowing down lease grants. A dropped subscriber
 * reconnects and re-checks what it holds.
 */
public final class EventBus {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final Set<Subscription> subscribers = ConcurrentHashMap.newKeySet();
    private final AtomicLong seq = new AtomicLong();

    /**
     * Subscribes to the events {@code filter} accepts.
     *
     * @param capacity how many events may wait for the subscriber before it is dropped
     */
    public Subscription subscribe(Predicate<ClusterEvent> filter, int capacity) {
        Subscription s = new Subscription(filter, capacity);
        subscribers.add(s);
        return s;
    }

    /** Numbers and delivers {@code event}; called by the single writer after its transaction committed. */
    public void publish(ClusterEvent event) {
        ClusterEvent numbered = event.withSeq(seq.incrementAndGet());
        for (Subscription s : subscribers) {
            s.offer(numbered);
        }
    }

    /** Current subscribers (for tests and health output). */
    public int subscriberCount() {
        return subscribers.size();
    }

    /** One subscriber's queue. Close it when done. */
    public final class Subscription implements AutoCloseable {
        private final Predicate<ClusterEvent> filter;
        private final ArrayBlockingQueue<ClusterEvent> queue;
        private volatile boolean dropped;

        private Subscription(Predicate<ClusterEvent> filter, int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("subscriber queue capacity must be positive, got " + capacity);
            }
            this.filter = filter;
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        private void offer(ClusterEvent e) {
            if (dropped || !filter.test(e)) {
                return;
            }
            if (!queue.offer(e)) {
                dropped = true;
                subscribers.remove(this);
                LOG.warn("event subscriber dropped: {} events were waiting for it", queue.size());
            }
        }

        /** The next event, waiting up to {@code timeout}; {@code null} when none came. */
        public ClusterEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
            return queue.poll(timeout, unit);
        }

        /** True once the subscriber fell behind and was removed from the bus. */
        public boolean dropped() {
            return dropped;
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }
}
