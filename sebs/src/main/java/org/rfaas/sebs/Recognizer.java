package org.rfaas.sebs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.rfaas.function.FaasFunction;

/**
 * {@code recognize}: SeBS image recognition (411.image-recognition) with nsfwjs' MobileNetV2 on
 * ONNX Runtime. Input: a 4-byte header (u8 k, 1..5: how many classes to return; three zero
 * bytes) followed by a JPEG or PNG image; output: k {@link Prediction}s, best first.
 *
 * <p>The model is loaded when the executor creates the function (its constructor, at cold start),
 * once per executor; every invocation then only decodes and classifies.
 */
public final class Recognizer implements FaasFunction {
    /** Header bytes; the image follows. */
    public static final int HEADER = 4;
    private final Classifier classifier;

    /** Loads the model: the executor creates the function once, when it loads the package. */
    public Recognizer() {
        this(Classifier.load());
    }

    /** A function answering with {@code classifier} (tests share one). */
    Recognizer(Classifier classifier) {
        this.classifier = classifier;
    }

    /** The input asking for the top {@code k} classes of {@code image}. */
    public static byte[] request(int k, byte[] image) {
        byte[] in = new byte[HEADER + image.length];
        in[0] = (byte) k;
        System.arraycopy(image, 0, in, HEADER, image.length);
        return in;
    }

    @Override
    public String name() {
        return "recognize";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        if (input.byteSize() <= HEADER) {
            throw new IllegalArgumentException("recognition input of " + input.byteSize()
                    + " bytes has no image after its " + HEADER + "-byte header");
        }
        int k = input.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        if (k < 1 || k > Classifier.LABELS.size()) {
            throw new IllegalArgumentException("k " + k + " is outside 1.." + Classifier.LABELS.size());
        }
        for (int i = 1; i < HEADER; i++) {
            if (input.get(ValueLayout.JAVA_BYTE, i) != 0) {
                throw new IllegalArgumentException("reserved header byte " + i + " is not zero");
            }
        }
        try {
            return Prediction.write(classifier.classify(new SegmentInputStream(input.asSlice(HEADER)), k), output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot classify the image: " + e.getMessage(), e);
        }
    }
}
