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
final class DrivenFuture<T> extends CompletableFuture<T> {
    /** Spin this long (in spin-wait hints) before backing off to yields and short parks. */
    private static final long SPINS = 20_000;
    private static final long MAX_PARK_NANOS = 100_000;

    private final IntSupplier step;

    /** @param step one non-blocking progress step; returns how many calls it completed */
    DrivenFuture(IntSupplier step) {
        this.step = step;
    }

    /**
     * One future for all {@code parts}, driven by {@code step}: their outputs in order, or the
     * first failure (unwrapped).
     */
    static DrivenFuture<java.util.List<byte[]>> allOf(java.util.List<CompletableFuture<byte[]>> parts,
            IntSupplier step) {
        DrivenFuture<java.util.List<byte[]>> all = new DrivenFuture<>(step);
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).whenComplete((v, error) -> {
            if (error != null) {
                all.completeExceptionally(error instanceof java.util.concurrent.CompletionException c
                        && c.getCause() != null ? c.getCause() : error);
                return;
            }
            java.util.List<byte[]> out = new java.util.ArrayList<>(parts.size());
            parts.forEach(p -> out.add(p.join()));
            all.complete(out);
        });
        return all;
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
            if (idle == null) {
                idle = new BackoffIdleStrategy(SPINS, 100, 1_000, MAX_PARK_NANOS);
            }
            idle.idle(work);
        }
        return true;
    }
}
