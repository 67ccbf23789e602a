package org.rfaas.sebs;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The image classifier: nsfwjs 4.4.0's MobileNetV2 (a Keras model in TF.js format, weights
 * uint8-quantized; 5 classes) run by ONNX Runtime on the CPU. The model files are class-path
 * resources; {@link #load()} builds the ONNX graph from them (or reads the graph a function
 * package carries, converted when the package was written) and opens a session, once per process. Images are decoded with the thumbnailer's ImageIO code;
 * scaling to 0..1 and the bilinear resize to 224×224 (corners aligned, as nsfwjs does) are ONNX
 * operators in the graph.
 *
 * <p>The session uses one intra-op thread: the result is then the same, bit for bit, in every
 * process on the same CPU (the executor's and a local run's), and a 1-core lease gains nothing
 * from more. {@link #classify} may be called from several threads at once.
 */
public final class Classifier implements AutoCloseable {
    /** nsfwjs' classes, in the model's output order ({@code nsfw_classes.js}). */
    public static final List<String> LABELS = List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy");
    /** The model's input side. */
    public static final int SIDE = 224;
    static final String MODEL_DIR = "/org/rfaas/sebs/nsfwjs/mobilenet_v2/";
    /** Where a function package carries the converted model (never in the source tree). */
    static final String ONNX_RESOURCE = "/org/rfaas/sebs/nsfwjs/mobilenet_v2.onnx";

    private final OrtEnvironment env;
    private final OrtSession session;

    private Classifier(OrtEnvironment env, OrtSession session) {
        this.env = env;
        this.session = session;
    }

    /** Reads the model shipped with this class, converts it and opens an ONNX Runtime session. */
    public static Classifier load() {
        byte[] onnx;
        try (InputStream prebuilt = Classifier.class.getResourceAsStream(ONNX_RESOURCE)) {
            // In a function package the model is already converted (SebsPackages); elsewhere, convert now.
            onnx = prebuilt != null ? prebuilt.readAllBytes() : convert();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + ONNX_RESOURCE, e);
        }
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            removeExtractedLibraries();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            // No arena: a large image's float copy (38 MB at 2048x1536) is returned after each call
            // instead of staying reserved, within a lease's memory limit.
            options.setCPUArenaAllocator(false);
            return new Classifier(env, env.createSession(onnx, options));
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    /**
     * ONNX Runtime 1.22 unpacks its native libraries (21 MB) into a new {@code onnxruntime-java*}
     * directory under {@code java.io.tmpdir} and leaves them to {@code deleteOnExit}, which a
     * killed process never runs; in an executor they would also hold 21 MB of its scratch tmpfs,
     * charged to its memory, for its whole life. Once loaded (mapped) the files are no longer
     * needed: they and the directory are deleted here. If ONNX Runtime's private field is not
     * there (another version), they are left to ONNX Runtime as before.
     */
    private static void removeExtractedLibraries() {
        try {
            Field f = Class.forName("ai.onnxruntime.OnnxRuntime", false, Classifier.class.getClassLoader())
                    .getDeclaredField("tempDirectory");
            f.setAccessible(true);
            if (f.get(null) instanceof Path dir && Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            // Left to ONNX Runtime's deleteOnExit; nothing else depends on them.
        }
    }

    /** nsfwjs' model files converted to the ONNX graph the session runs (deterministic). */
    static byte[] convert() {
        return KerasOnnx.convert(TfjsModel.load(Classifier.class, MODEL_DIR), SIDE, LABELS.size());
    }

    /** The top {@code k} classes of the JPEG or PNG {@code image}, best first. */
    public List<Prediction> classify(InputStream image, int k) throws IOException {
        return top(scores(Thumbnails.decode(image)), k);
    }

    /** The model's probabilities for every class of {@link #LABELS}. */
    public float[] scores(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        try (OnnxTensor input = OnnxTensor.createTensor(env, ByteBuffer.wrap(rgb(image)), new long[] {1, h, w, 3},
                OnnxJavaType.UINT8);
                OrtSession.Result result = session.run(Map.of(KerasOnnx.INPUT, input))) {
            return ((float[][]) result.get(0).getValue())[0];
        } catch (OrtException e) {
            throw new IllegalStateException("inference failed: " + e.getMessage(), e);
        }
    }

    /**
     * The image's pixels as interleaved 8-bit sRGB, alpha dropped (as {@code tf.browser.fromPixels}
     * does). The byte layouts ImageIO decodes JPEG and PNG into are read directly; any other
     * through {@code getRGB}, which converts to sRGB.
     */
    static byte[] rgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        int type = image.getType();
        if ((type == BufferedImage.TYPE_3BYTE_BGR || type == BufferedImage.TYPE_4BYTE_ABGR)
                && image.getRaster().getDataBuffer() instanceof DataBufferByte buffer
                && image.getRaster().getSampleModel() instanceof PixelInterleavedSampleModel m
                && image.getRaster().getSampleModelTranslateX() == 0 && image.getRaster().getSampleModelTranslateY() == 0
                && buffer.getNumBanks() == 1) {
            byte[] data = buffer.getData();
            int stride = m.getPixelStride();
            int[] offsets = m.getBandOffsets(); // bands R, G, B (, A)
            for (int y = 0; y < h; y++) {
                int row = y * m.getScanlineStride();
                for (int x = 0; x < w; x++) {
                    int p = row + x * stride;
                    int o = (y * w + x) * 3;
                    rgb[o] = data[p + offsets[0]];
                    rgb[o + 1] = data[p + offsets[1]];
                    rgb[o + 2] = data[p + offsets[2]];
                }
            }
            return rgb;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = (y * w + x) * 3;
                rgb[o] = (byte) (p >>> 16);
                rgb[o + 1] = (byte) (p >>> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return rgb;
    }

    /** The {@code k} highest of {@code scores} as predictions, best first (ties: lower index first). */
    static List<Prediction> top(float[] scores, int k) {
        List<Prediction> all = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            all.add(new Prediction(i, LABELS.get(i), scores[i]));
        }
        all.sort(Comparator.comparingDouble((Prediction p) -> -p.score()).thenComparingInt(Prediction::index));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
