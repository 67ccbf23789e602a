package org.rfaas.transport.testkit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Reproducible random payloads, so a mismatch can be located and reproduced from its seed. */
public final class Payloads {
    private Payloads() {
    }

    /** Fills {@code length} bytes of {@code into} from offset 0 with bytes derived from {@code seed}. */
    public static void fill(MemorySegment into, long length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long i = 0;
        for (; i + 8 <= length; i += 8) {
            into.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
        for (; i < length; i++) {
            into.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
    }

    /**
     * The offset of the first byte where {@code actual} differs from what {@link #fill} writes for
     * {@code seed}, or -1 when the first {@code length} bytes match.
     */
    public static long firstMismatch(MemorySegment actual, long length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long i = 0;
        for (; i + 8 <= length; i += 8) {
            long expected = r.nextLong();
            long got = actual.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
            if (got != expected) {
                for (int b = 0; b < 8; b++) {
                    if ((byte) (got >>> (8 * b)) != (byte) (expected >>> (8 * b))) {
                        return i + b; // little-endian JAVA_LONG on every platform we run
                    }
                }
                return i;
            }
        }
        for (; i < length; i++) {
            if (actual.get(ValueLayout.JAVA_BYTE, i) != (byte) r.nextInt()) {
                return i;
            }
        }
        return -1;
    }
}
