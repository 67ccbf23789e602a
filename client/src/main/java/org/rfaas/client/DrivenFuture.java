package org.rfaas.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import org.rfaas.transport.BackoffIdleStrategy;
import org.rfaas.transport.IdleStrategy;

/**
 * The future of an asynchronous call that the waiting thread completes itself: {@link #join()}
 * and {@link #get()} run the executor's progress step (take in arrived replies, complete their
 * futures) on the caller's thread instead of sleeping until a background poller is scheduled.
 * Dependent stages ({@code thenApply}, ...) are driven the same way when joined.
 */
sealed class DrivenFuture<T> extends CompletableFuture<T> permits DrivenFuture.Gathered, DrivenFuture.Part {
    /** Spin this long (in spin-wait hints) before backing off to yields and short parks. */
    private static final long SPINS = 20_000;
    private static final long MAX_PARK_NANOS = 100_000;

    /** The progress step; a scatter's parts are driven by the same one. */
    final IntSupplier step;

    /** @param step one non-blocking progress step; returns how many calls it completed */
    DrivenFuture(IntSupplier step) {
        this.step = step;
    }

    /**
     * The future of a scatter: the parts' outputs in order once every part completed, or the
     * first part's failure (in completion order) once every part completed, so that no slot is
     * still in flight when it fails. Each part tells it directly as it completes: no combinator
     * tree, one object per part.
     */
    static final class Gathered extends DrivenFuture<java.util.List<byte[]>> {
        private final byte[][] outputs;
        private final java.util.concurrent.atomic.AtomicInteger remaining;
        private final java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                new java.util.concurrent.atomic.AtomicReference<>();

        /** @param parts at least one */
        Gathered(int parts, IntSupplier step) {
            super(step);
            this.outputs = new byte[parts][];
            this.remaining = new java.util.concurrent.atomic.AtomicInteger(parts);
        }

        /** The future of part {@code index}, to be completed by its call. */
        CompletableFuture<byte[]> part(int index) {
            return new Part(this, index);
        }

        private void partDone(int index, byte[] output, Throwable error) {
            if (error != null) {
                failure.compareAndSet(null, error);
            } else {
                outputs[index] = output;
            }
            if (remaining.decrementAndGet() == 0) {
                Throwable f = failure.get();
                if (f != null) {
                    completeExceptionally(f);
                } else {
                    complete(java.util.Arrays.asList(outputs));
                }
            }
        }
    }

    /** One part of a {@link Gathered}: completing it (once) counts it in the whole. */
    private static final class Part extends DrivenFuture<byte[]> {
        private final Gathered whole;
        private final int index;

        Part(Gathered whole, int index) {
            super(whole.step);
            this.whole = whole;
            this.index = index;
        }

        @Override
        public boolean complete(byte[] value) {
            boolean first = super.complete(value);
            if (first) {
                whole.partDone(index, value, null);
            }
            return first;
        }

        @Override
        public boolean completeExceptionally(Throwable error) {
            boolean first = super.completeExceptionally(error);
            if (first) {
                whole.partDone(index, null, error);
            }
            return first;
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new DrivenFuture<>(step);
    }

    @Override
    public T join() {
        try {
            drive(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e); // not interruptible
        }
        return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        drive(Long.MAX_VALUE, true);
        return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        if (!drive(System.nanoTime() + unit.toNanos(timeout), true)) {
            throw new TimeoutException();
        }
        return super.get();
    }

    /** Runs progress steps until done; false when {@code deadline} passed first. */
    private boolean drive(long deadline, boolean interruptible) throws InterruptedException {
        IdleStrategy idle = null;
        long spins = 0;
        while (!isDone()) {
            int work = step.getAsInt();
            if (isDone()) {
                break;
            }
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
                return false;
            }
            if (interruptible && Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (work > 0) {
                spins = 0;
                if (idle != null) {
                    idle.reset();
                }
            }
            if (spins < SPINS) {
                // the common case, a reply within microseconds: spin without allocating a strategy
                spins++;
                Thread.onSpinWait();
                continue;
            }
            if (idle == null) {
                idle = new BackoffIdleStrategy(0, 100, 1_000, MAX_PARK_NANOS);
            }
            idle.idle();
        }
        return true;
    }
}
