package org.rfaas.sebs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image recognition in this process: the ONNX graph built from nsfwjs' model gives TensorFlow.js'
 * own answers, the function's wire format, validation, and the package it ships in.
 */
class RecognizerTest {
    static final List<String> SAMPLES = Samples.ALL;
    static Classifier classifier;

    @BeforeAll
    static void load() {
        classifier = Classifier.load();
    }

    @AfterAll
    static void close() {
        classifier.close();
    }

    private static byte[] invoke(Recognizer f, byte[] input, int capacity) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(input.length);
            MemorySegment.copy(input, 0, in, ValueLayout.JAVA_BYTE, 0, input.length);
            MemorySegment out = arena.allocate(capacity);
            int n = f.invoke(in, out);
            return out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void scoresEqualTensorFlowJsRunningTheSameModel() throws Exception {
        String reference;
        try (InputStream in = RecognizerTest.class.getResourceAsStream("tfjs/reference.txt")) {
            reference = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int checked = 0;
        for (String line : reference.lines().filter(l -> !l.startsWith("#")).toList()) {
            String[] f = line.split(" ");
            float[] scores = classifier.scores(Thumbnails.decode(new ByteArrayInputStream(ThumbnailerTest.sample(f[0]))));
            assertEquals(Classifier.LABELS.size(), scores.length);
            for (int i = 0; i < scores.length; i++) {
                // Same weights, other kernels (TF.js' JavaScript vs ONNX Runtime's MLAS): float rounding only.
                assertEquals(Double.parseDouble(f[i + 1]), scores[i], 5e-5, f[0] + " class " + Classifier.LABELS.get(i));
            }
            checked++;
        }
        assertEquals(SAMPLES.size(), checked);
    }

    @Test
    void theFunctionAnswersTheTopKOfTheLocalClassifier() throws Exception {
        Recognizer f = new Recognizer(classifier);
        assertEquals("recognize", f.name());
        for (String name : SAMPLES) {
            byte[] image = ThumbnailerTest.sample(name);
            for (int k = 1; k <= Classifier.LABELS.size(); k++) {
                List<Prediction> remote = Prediction.read(invoke(f, Recognizer.request(k, image), 64), Classifier.LABELS);
                List<Prediction> local = classifier.classify(new ByteArrayInputStream(image), k);
                assertEquals(local, remote, name + " top " + k);
                assertEquals(k, remote.size());
                for (int i = 1; i < k; i++) {
                    assertTrue(remote.get(i - 1).score() >= remote.get(i).score(), "best first");
                }
            }
            float sum = 0;
            for (Prediction p : classifier.classify(new ByteArrayInputStream(image), 5)) {
                sum += p.score();
            }
            assertEquals(1.0, sum, 1e-5, "softmax output");
        }
        // The drawn samples are drawings to this model.
        assertEquals("Drawing", classifier.classify(new ByteArrayInputStream(ThumbnailerTest.sample(SAMPLES.get(0))), 1)
                .getFirst().label());
    }

    @Test
    void decodedLayoutsAreReadAsTheirSrgbPixels() throws Exception {
        for (String name : SAMPLES) {
            java.awt.image.BufferedImage image = Thumbnails.decode(new ByteArrayInputStream(ThumbnailerTest.sample(name)));
            // The generic path: the same image drawn into an int-RGB copy (getRGB's sRGB values).
            java.awt.image.BufferedImage copy = new java.awt.image.BufferedImage(image.getWidth(), image.getHeight(),
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            int[] argb = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
            copy.setRGB(0, 0, image.getWidth(), image.getHeight(), argb, 0, image.getWidth());
            assertTrue(image.getType() != copy.getType(), name + " exercises the direct path");
            assertArrayEquals(Classifier.rgb(copy), Classifier.rgb(image), name);
            assertEquals((byte) (argb[0] >>> 16), Classifier.rgb(image)[0], name + " red first");
        }
    }

    @Test
    void badInputIsRefusedWithTheReason() throws Exception {
        Recognizer f = new Recognizer(classifier);
        byte[] image = ThumbnailerTest.sample(SAMPLES.get(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(f, Recognizer.request(0, image), 64))
                .getMessage().contains("k 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(f, Recognizer.request(6, image), 64))
                .getMessage().contains("k 6"));
        byte[] reserved = Recognizer.request(1, image);
        reserved[2] = 1;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(f, reserved, 64)).getMessage()
                .contains("reserved"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(f, new byte[] {1, 0, 0, 0}, 64))
                .getMessage().contains("no image"));
        assertThrows(java.io.UncheckedIOException.class, () -> invoke(f, Recognizer.request(1, new byte[] {1, 2, 3}), 64));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(f, Recognizer.request(5, image), 39))
                .getMessage().contains("output capacity"));
        assertThrows(IllegalArgumentException.class, () -> Prediction.read(new byte[7], Classifier.LABELS));
        assertThrows(IllegalArgumentException.class, () -> Prediction.read(new byte[] {9, 0, 0, 0, 0, 0, 0, 0},
                Classifier.LABELS));
    }

    @Test
    void theUnpackedNativeLibrariesAreDeletedOnceLoaded() throws Exception {
        java.lang.reflect.Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
        f.setAccessible(true);
        Path dir = (Path) f.get(null);
        assertNotNull(dir, "ONNX Runtime unpacked its libraries into a temporary directory");
        assertFalse(java.nio.file.Files.exists(dir), dir + " (21 MB of libraries) is still there");
    }

    @Test
    void minifiedLiteralsParse() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) JsLiteral.moduleExports(
                "x.exports=1;{1:[function(e,a,n){a.exports={k:[.5,-2e-3,!0,!1,null],\"q k\":'s\\\"t\\u0041'}},{}]}");
        assertEquals(List.of(0.5, -0.002, true, false), ((List<?>) m.get("k")).subList(0, 4));
        assertNull(((List<?>) m.get("k")).get(4));
        assertEquals("s\"tA", m.get("q k"));
        assertThrows(IllegalArgumentException.class, () -> JsLiteral.moduleExports("module.exports={}"));
        assertThrows(IllegalArgumentException.class, () -> JsLiteral.moduleExports("{1:[function(e,a,n){a.exports={k:?}"));
    }

    @Test
    void thePackageCarriesTheModelAndOnlyTheLinuxNatives(@TempDir Path dir) throws Exception {
        Path jar = SebsPackages.writeRecognitionJar(dir.resolve("recognition.jar"));
        try (JarFile j = new JarFile(jar.toFile())) {
            for (String file : SebsPackages.MODEL_NOTICES) {
                assertNotNull(j.getEntry(file.substring(1)), file);
            }
            // The model travels converted: the bytes a local load builds, so both sides run the same graph.
            assertArrayEquals(Classifier.convert(), j.getInputStream(j.getEntry(Classifier.ONNX_RESOURCE.substring(1)))
                    .readAllBytes());
            assertNull(j.getEntry(Classifier.MODEL_DIR.substring(1) + "group1-shard1of1.min.js"), "the unconverted shard");
            assertNotNull(j.getEntry("ai/onnxruntime/native/linux-x64/libonnxruntime.so"));
            assertNotNull(j.getEntry("ai/onnxruntime/OrtSession.class"));
            assertNotNull(j.getEntry("org/rfaas/sebs/Recognizer.class"));
            assertFalse(j.stream().anyMatch(e -> e.getName().contains("osx-") || e.getName().contains("win-")
                    || e.getName().contains("aarch64")), "foreign natives");
            byte[] services = j.getInputStream(j.getEntry("META-INF/services/org.rfaas.function.FaasFunction"))
                    .readAllBytes();
            assertArrayEquals("org.rfaas.sebs.Recognizer\n".getBytes(StandardCharsets.UTF_8), services);
        }
    }
}
