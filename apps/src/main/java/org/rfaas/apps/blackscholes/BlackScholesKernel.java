package org.rfaas.apps.blackscholes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * PARSEC's Black-Scholes kernel ({@code BlkSchlsEqEuroNoDiv} and {@code CNDF} of
 * {@code blackscholes.c}), operation for operation, so that it gives the same doubles as the C
 * kernel in {@code apps_kernels.c} built with {@code -ffp-contract=off}.
 *
 * <p>{@code exp} and {@code log} are {@link StrictMath}'s (fdlibm): the same bits on every JVM and
 * CPU, so a rank and an executor on another machine agree exactly ({@link Math}'s intrinsics are
 * allowed to differ between platforms).
 *
 * <p>Self-contained (JDK only): it is shipped inside the function JAR.
 */
public final class BlackScholesKernel {
    private BlackScholesKernel() {
    }

    private static final double INV_SQRT_2XPI = 0.39894228040143270286;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /**
     * The cumulative normal distribution by the Abramowitz-Stegun polynomial (26.2.17) with
     * PARSEC's constants and order of operations.
     */
    public static double cndf(double inputX) {
        boolean sign = inputX < 0.0;
        if (sign) {
            inputX = -inputX;
        }
        double xInput = inputX;
        double expValues = StrictMath.exp(-0.5 * inputX * inputX);
        double xNPrimeofX = expValues * INV_SQRT_2XPI;

        double xK2 = 0.2316419 * xInput;
        xK2 = 1.0 + xK2;
        xK2 = 1.0 / xK2;
        double xK2_2 = xK2 * xK2;
        double xK2_3 = xK2_2 * xK2;
        double xK2_4 = xK2_3 * xK2;
        double xK2_5 = xK2_4 * xK2;

        double xLocal_1 = xK2 * 0.319381530;
        double xLocal_2 = xK2_2 * (-0.356563782);
        double xLocal_3 = xK2_3 * 1.781477937;
        xLocal_2 = xLocal_2 + xLocal_3;
        xLocal_3 = xK2_4 * (-1.821255978);
        xLocal_2 = xLocal_2 + xLocal_3;
        xLocal_3 = xK2_5 * 1.330274429;
        xLocal_2 = xLocal_2 + xLocal_3;

        xLocal_1 = xLocal_2 + xLocal_1;
        double xLocal = xLocal_1 * xNPrimeofX;
        xLocal = 1.0 - xLocal;
        return sign ? 1.0 - xLocal : xLocal;
    }

    /** The price of a European option without dividends; {@code otype} 0 = call, 1 = put. */
    public static double price(double sptprice, double strike, double rate, double volatility, double time, int otype) {
        double xSqrtTime = Math.sqrt(time); // correctly rounded everywhere, as C's sqrt
        double xLogTerm = StrictMath.log(sptprice / strike);
        double xPowerTerm = volatility * volatility;
        xPowerTerm = xPowerTerm * 0.5;
        double xD1 = rate + xPowerTerm;
        xD1 = xD1 * time;
        xD1 = xD1 + xLogTerm;
        double xDen = volatility * xSqrtTime;
        xD1 = xD1 / xDen;
        double xD2 = xD1 - xDen;

        double nofXd1 = cndf(xD1);
        double nofXd2 = cndf(xD2);
        double futureValueX = strike * StrictMath.exp(-rate * time);
        if (otype == 0) {
            return sptprice * nofXd1 - futureValueX * nofXd2;
        }
        double negNofXd1 = 1.0 - nofXd1;
        double negNofXd2 = 1.0 - nofXd2;
        return futureValueX * negNofXd2 - sptprice * negNofXd1;
    }

    /**
     * Prices {@code count} option records ({@link #RECORD_BYTES} each, layout of
     * {@code OptionData}) starting at byte {@code inOffset} of {@code options} into {@code count}
     * doubles at byte {@code outOffset} of {@code prices}.
     */
    public static void priceAll(MemorySegment options, long inOffset, int count, MemorySegment prices, long outOffset) {
        for (int i = 0; i < count; i++) {
            long o = inOffset + (long) i * RECORD_BYTES;
            double p = price(options.get(D, o + SPOT), options.get(D, o + STRIKE), options.get(D, o + RATE),
                    options.get(D, o + VOLATILITY), options.get(D, o + TIME), (int) options.get(D, o + TYPE));
            prices.set(D, outOffset + 8L * i, p);
        }
    }

    /** Bytes of one option record: 9 doubles. */
    public static final int RECORD_BYTES = 72;
    /** Byte offsets of the record's fields (PARSEC's {@code OptionData} order). */
    public static final int SPOT = 0, STRIKE = 8, RATE = 16, DIVQ = 24, VOLATILITY = 32, TIME = 40, TYPE = 48,
            DIVS = 56, DGREFVAL = 64;
}
