package org.rfaas.benchmarks.suite;

import org.HdrHistogram.Histogram;
import org.rfaas.benchmarks.common.LatencyStats;

/**
 * Times round trips one after the other (closed loop, one outstanding call) into an HdrHistogram.
 *
 * <p>Each measurement is bounded twice: by a number of iterations and by a time budget, so that a
 * slow system (an HTTP gateway at 5 MiB) finishes in seconds while a fast one gets enough samples
 * for a stable p99. At least {@link Budget#minSamples()} samples are always taken.
 */
public final class LatencyHarness {
    private LatencyHarness() {
    }

    /**
     * How much time and how many calls one measurement may use.
     *
     * @param warmup untimed calls first (JIT, connection set-up, caches)
     * @param iterations the most timed calls
     * @param minSamples the fewest timed calls, even past the budget
     * @param budgetNanos wall-clock budget for warm-up plus timed calls
     */
    public record Budget(int warmup, int iterations, int minSamples, long budgetNanos) {

        /** Scales the budget for a payload: large payloads get fewer iterations. */
        public Budget forBytes(int bytes) {
            int scale = bytes >= (1 << 20) ? 20 : bytes >= (64 << 10) ? 4 : 1;
            return new Budget(Math.max(3, warmup / scale), Math.max(minSamples, iterations / scale), minSamples, budgetNanos);
        }
    }

    /**
     * Prepares {@code bytes} and measures {@code rt}.
     *
     * @throws IllegalStateException when a call returns an output of the wrong length
     */
    public static LatencyStats measure(RoundTrip rt, int bytes, Budget budget) throws Exception {
        rt.prepare(bytes);
        Budget b = budget.forBytes(bytes);
        long deadline = System.nanoTime() + b.budgetNanos();
        long warmupDeadline = System.nanoTime() + b.budgetNanos() / 3;
        for (int i = 0; i < b.warmup() && System.nanoTime() < warmupDeadline; i++) {
            check(rt.call(), bytes);
        }
        Histogram h = LatencyStats.newHistogram();
        for (int i = 0; i < b.iterations(); i++) {
            long t0 = System.nanoTime();
            int n = rt.call();
            long t1 = System.nanoTime();
            check(n, bytes);
            h.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, t1 - t0)));
            if (i + 1 >= b.minSamples() && t1 > deadline) {
                break;
            }
        }
        return LatencyStats.of(h);
    }

    /**
     * Runs calls of {@code bytes} for {@code nanos} untimed, so that both sides' JIT compilers and
     * connections reach their steady state before the first measured size.
     */
    public static void warmUp(RoundTrip rt, int bytes, long nanos) throws Exception {
        rt.prepare(bytes);
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            check(rt.call(), bytes);
        }
    }

    private static void check(int got, int bytes) {
        if (got != bytes) {
            throw new IllegalStateException("echo returned " + got + " bytes for an input of " + bytes);
        }
    }
}
