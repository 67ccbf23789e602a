package org.rfaas.apps.blackscholes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Input like PARSEC's {@code inputgen}: {@code n} option records in PARSEC's {@code OptionData}
 * layout, deterministic in the seed. PARSEC replicates a table of textbook options; here the first
 * rows are PARSEC's own first textbook options with their reference prices ({@code DGrefval}), the
 * rest are drawn from a {@link SplittableRandom} over similar ranges (spot 10-200, strike within
 * 30% of spot, rate 1-10%, volatility 5-65%, time 0.05-2 years, calls and puts; no dividends),
 * with {@code DGrefval = NaN} (no reference).
 */
public final class OptionGenerator {
    private OptionGenerator() {
    }

    /** PARSEC's sizes: simsmall, simmedium, simlarge, native. */
    public static int size(String name) {
        return switch (name) {
            case "simdev" -> 16;
            case "simsmall" -> 4_096;
            case "simmedium" -> 16_384;
            case "simlarge" -> 65_536;
            case "native" -> 10_000_000;
            default -> {
                int n = Integer.parseInt(name);
                if (n < 1) {
                    throw new IllegalArgumentException("--size must be positive");
                }
                yield n;
            }
        };
    }

    /** PARSEC's first textbook options: spot, strike, rate, volatility, time, type (0 call, 1 put), reference price. */
    static final double[][] TEXTBOOK = {
        {42.00, 40.00, 0.1000, 0.20, 0.50, 0, 4.759423036851750055},
        {42.00, 40.00, 0.1000, 0.20, 0.50, 1, 0.808600016880314021},
        {100.00, 100.00, 0.0500, 0.15, 1.00, 1, 3.714602051381290071},
        {100.00, 100.00, 0.0500, 0.15, 1.00, 0, 8.591659601309890704},
        {60.00, 65.00, 0.0800, 0.30, 0.25, 0, 2.133371966735750025},
        {100.00, 90.00, 0.1000, 0.10, 0.10, 0, 10.895610714793999563},
        {100.00, 90.00, 0.1000, 0.10, 0.50, 0, 14.421570828843300660},
        {100.00, 90.00, 0.1000, 0.10, 1.00, 0, 18.630859120667498274},
        {100.00, 100.00, 0.1000, 0.10, 0.10, 0, 1.814984118378420108},
    };

    /** Fills {@code out} (at least {@code n} records) with the input of size {@code n} for {@code seed}. */
    public static void generate(long seed, int n, MemorySegment out) {
        SplittableRandom random = new SplittableRandom(seed);
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE_UNALIGNED;
        for (int i = 0; i < n; i++) {
            long o = (long) i * BlackScholesKernel.RECORD_BYTES;
            double s, k, r, v, t, type, ref;
            if (i < TEXTBOOK.length) {
                double[] row = TEXTBOOK[i];
                s = row[0];
                k = row[1];
                r = row[2];
                v = row[3];
                t = row[4];
                type = row[5];
                ref = row[6];
            } else {
                s = 10 + 190 * random.nextDouble();
                k = s * (0.7 + 0.6 * random.nextDouble());
                r = 0.01 + 0.09 * random.nextDouble();
                v = 0.05 + 0.60 * random.nextDouble();
                t = 0.05 + 1.95 * random.nextDouble();
                type = random.nextBoolean() ? 1 : 0;
                ref = Double.NaN;
            }
            out.set(d, o + BlackScholesKernel.SPOT, s);
            out.set(d, o + BlackScholesKernel.STRIKE, k);
            out.set(d, o + BlackScholesKernel.RATE, r);
            out.set(d, o + BlackScholesKernel.DIVQ, 0.0);
            out.set(d, o + BlackScholesKernel.VOLATILITY, v);
            out.set(d, o + BlackScholesKernel.TIME, t);
            out.set(d, o + BlackScholesKernel.TYPE, type);
            out.set(d, o + BlackScholesKernel.DIVS, 0.0);
            out.set(d, o + BlackScholesKernel.DGREFVAL, ref);
        }
    }
}
