package org.rfaas.benchmarks.invoke;

import org.rfaas.function.FaasFunction;

import java.lang.foreign.MemorySegment;

/**
 * The Java functions the benchmarks and the demo ship to executors. {@link FunctionPackages}
 * packs these classes into a JAR at run time.
 */
public final class BenchFunctions {
    private BenchFunctions() {
    }

    /** Returns its input: one copy from the receive slot into the send buffer, as a real function would. */
    public static final class Echo implements FaasFunction {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            MemorySegment.copy(input, 0, output, 0, input.byteSize());
            return (int) input.byteSize();
        }
    }

    /** Returns nothing: the smallest possible invocation. */
    public static final class Noop implements FaasFunction {
        @Override
        public String name() {
            return "noop";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            return 0;
        }
    }

    /** Sleeps for the number of milliseconds in the first input byte: makes compute time visible in accounting. */
    public static final class Sleep implements FaasFunction {
        @Override
        public String name() {
            return "sleep";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) throws InterruptedException {
            Thread.sleep(input.byteSize() == 0 ? 0 : input.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) & 0xff);
            return 0;
        }
    }
}
