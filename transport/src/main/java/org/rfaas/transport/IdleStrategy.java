package org.rfaas.transport;

/**
 * What a thread does after a poll that found nothing to do, in the style of Aeron's
 * {@code IdleStrategy}: spin, then yield, then park for growing times. Keeping the decision here
 * keeps hand-written spin/park loops out of the code that polls.
 *
 * <p>Use one instance per polling thread (implementations keep state and are not thread-safe) and
 * call it in the poll loop:
 *
 * <pre>{@code
 * IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
 * while (running) {
 *     if (connection.poll(completion)) {
 *         handle(completion);
 *         idle.reset();
 *     } else {
 *         idle.idle();
 *     }
 * }
 * }</pre>
 *
 * Implementations allocate nothing and take no locks.
 */
public interface IdleStrategy {

    /**
     * Spins ({@link Thread#onSpinWait}) after every empty poll: for a thread that owns its core
     * while it waits (a hot worker, a caller waiting hot). Stateless: one instance serves every thread.
     */
    IdleStrategy BUSY_SPIN = new BusySpin();

    /**
     * Yields after every empty poll: for a loop whose poll already blocked in the transport for a
     * while (a warm wait), so that a thread that could not sleep does not hold the core. Stateless.
     */
    IdleStrategy YIELD = new Yielding();

    /** The poll found nothing: back off one step further. */
    void idle();

    /** The poll found work: the next {@link #idle} starts from the first, cheapest step again. */
    void reset();

    /**
     * {@link #reset} when {@code workCount > 0}, else {@link #idle}: for loops that count what a
     * poll did.
     */
    default void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    /** {@link #BUSY_SPIN}. */
    final class BusySpin implements IdleStrategy {
        private BusySpin() {
        }

        @Override
        public void idle() {
            Thread.onSpinWait();
        }

        @Override
        public void reset() {
        }
    }

    /** {@link #YIELD}. */
    final class Yielding implements IdleStrategy {
        private Yielding() {
        }

        @Override
        public void idle() {
            Thread.yield();
        }

        @Override
        public void reset() {
        }
    }
}
