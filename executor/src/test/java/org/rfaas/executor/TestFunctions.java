package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.rfaas.function.FaasFunction;

/** Functions packaged into a JAR by {@link FunctionTableTest}. */
final class TestFunctions {
    private TestFunctions() {
    }

    /** Upper-cases ASCII input. */
    public static final class Upper implements FaasFunction {
        @Override
        public String name() {
            return "upper";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            for (long i = 0; i < input.byteSize(); i++) {
                byte b = input.get(ValueLayout.JAVA_BYTE, i);
                output.set(ValueLayout.JAVA_BYTE, i, (byte) Character.toUpperCase(b));
            }
            return (int) input.byteSize();
        }

        @Override
        public boolean runsInPlace() {
            return true;
        }

        @Override
        public int invokeInPlace(MemorySegment data, int inputLength) {
            return invoke(data.asSlice(0, inputLength), data);
        }
    }

    /** Reports whether it can see the executor's classes (it must not). */
    public static final class Snoop implements FaasFunction {
        @Override
        public String name() {
            return "snoop";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            String answer;
            try {
                Class.forName("org.rfaas.executor.Executor", false, getClass().getClassLoader());
                answer = "visible";
            } catch (ClassNotFoundException e) {
                answer = "hidden";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(bytes, 0, output, ValueLayout.JAVA_BYTE, 0, bytes.length);
            return bytes.length;
        }
    }

    /** Counts its class's initialisations in a system property (shared by every class loader). */
    public static final class Loud implements FaasFunction {
        static final String INITIALISED = "rfaas.test.loud.initialised";

        static {
            System.setProperty(INITIALISED, Integer.toString(Integer.getInteger(INITIALISED, 0) + 1));
        }

        @Override
        public String name() {
            return "loud";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            return 0;
        }
    }

    /** A provider whose constructor throws (a broken package). */
    public static final class Broken implements FaasFunction {
        public Broken() {
            throw new IllegalStateException("broken on purpose");
        }

        @Override
        public String name() {
            return "broken";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            return 0;
        }
    }
}
