package org.rfaas.apps.blackscholes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * rFaaS function {@code blackscholes}: input = option records ({@link BlackScholesKernel#RECORD_BYTES}
 * each), output = one price (double) per option followed by the kernel's compute time in
 * nanoseconds (a little-endian long), which the application reports as the remote compute time.
 */
public final class BlackScholesFunction implements FaasFunction {
    @Override
    public String name() {
        return "blackscholes";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        long t0 = System.nanoTime();
        int n = (int) (input.byteSize() / BlackScholesKernel.RECORD_BYTES);
        BlackScholesKernel.priceAll(input, 0, n, output, 0);
        output.set(ValueLayout.JAVA_LONG_UNALIGNED, 8L * n, System.nanoTime() - t0);
        return 8 * n + 8;
    }
}
