package org.rfaas.sebs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One of the classifier's top-k answers. On the wire (the recognition function's output) each is
 * 8 bytes, little-endian: u32 class index, f32 score; the answers follow each other, best first.
 *
 * @param index the class index in the model's output
 * @param label the class name
 * @param score the model's probability for the class
 */
public record Prediction(int index, String label, float score) {
    /** Bytes per prediction on the wire. */
    public static final int BYTES = 8;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** {@code predictions} as the recognition function returns them. */
    public static byte[] encode(List<Prediction> predictions) {
        byte[] out = new byte[predictions.size() * BYTES];
        write(predictions, MemorySegment.ofArray(out));
        return out;
    }

    /** Writes {@code predictions} at the start of {@code out}; returns the bytes written. */
    static int write(List<Prediction> predictions, MemorySegment out) {
        int n = predictions.size() * BYTES;
        if (n > out.byteSize()) {
            throw new IllegalArgumentException(predictions.size() + " predictions need " + n
                    + " bytes, the output capacity is " + out.byteSize());
        }
        for (int i = 0; i < predictions.size(); i++) {
            out.set(U32, (long) i * BYTES, predictions.get(i).index());
            out.set(F32, (long) i * BYTES + 4, predictions.get(i).score());
        }
        return n;
    }

    /**
     * Reads the recognition function's output.
     *
     * @throws IllegalArgumentException if the length is not a multiple of {@value #BYTES} or an
     *     index is not one of {@code labels}
     */
    public static List<Prediction> read(byte[] output, List<String> labels) {
        if (output.length % BYTES != 0) {
            throw new IllegalArgumentException("recognition output of " + output.length + " bytes is not a list of "
                    + BYTES + "-byte predictions");
        }
        MemorySegment s = MemorySegment.ofArray(output);
        List<Prediction> list = new ArrayList<>();
        for (int off = 0; off < output.length; off += BYTES) {
            int index = s.get(U32, off);
            if (index < 0 || index >= labels.size()) {
                throw new IllegalArgumentException("class index " + index + " outside 0.." + (labels.size() - 1));
            }
            list.add(new Prediction(index, labels.get(index), s.get(F32, off + 4)));
        }
        return list;
    }
}
