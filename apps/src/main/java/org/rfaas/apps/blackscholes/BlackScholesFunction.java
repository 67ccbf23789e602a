package org.rfaas.apps.blackscholes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * rFaaS function {@code blackscholes}: input = a {@link #HEADER}-byte header (int32 runs, int32
 * zero) and option records ({@link BlackScholesKernel#RECORD_BYTES} each), priced {@code runs} times
 * as PARSEC's {@code NUM_RUNS} loop does; output = one price (double) per option followed by the kernel's compute time in
 * nanoseconds (a little-endian long), which the application reports as the remote compute time.
 */
public final class BlackScholesFunction implements FaasFunction {
    /** Bytes before the records: int32 runs, int32 zero. */
    public static final int HEADER = 8;

    /** The most runs one call may ask for. */
    public static final int MAX_RUNS = 10_000;

    @Override
    public String name() {
        return "blackscholes";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long t0 = System.nanoTime();
        long records = input.byteSize() - HEADER;
        int runs = records < 0 ? 0 : input.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        if (records < 0 || records % BlackScholesKernel.RECORD_BYTES != 0 || runs < 1 || runs > MAX_RUNS) {
            throw new IllegalArgumentException("expected a header (runs 1.." + MAX_RUNS + ") and whole option records, got "
                    + input.byteSize() + " bytes");
        }
        int n = (int) (records / BlackScholesKernel.RECORD_BYTES);
        for (int r = 0; r < runs; r++) {
            BlackScholesKernel.priceAll(input, HEADER, n, output, 0);
        }
        output.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * n, System.nanoTime() - t0);
        return 8 * n + 8;
    }
}
