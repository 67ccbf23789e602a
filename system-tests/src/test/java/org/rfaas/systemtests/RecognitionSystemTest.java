package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.sebs.Classifier;
import org.rfaas.sebs.Prediction;
import org.rfaas.sebs.Recognizer;
import org.rfaas.sebs.Samples;
import org.rfaas.sebs.SebsPackages;

/**
 * SeBS image recognition through a real executor manager and executor, on the project's sample
 * images: the package carries nsfwjs' MobileNetV2 and ONNX Runtime, the executor loads the model
 * once at cold start, and every top-k answer equals (labels and float scores, bit for bit) the
 * same classifier run in this process — both run ONNX Runtime with one intra-op thread on the
 * same CPU, so the same kernels add in the same order.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RecognitionSystemTest {
    InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("recognize", c -> c.withSpareExecutors(0));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void topKFromTheExecutorEqualsTheLocalClassifier() throws Exception {
        FunctionPackage pkg = FunctionPackage.jar(SebsPackages.writeRecognitionJar(node.dir.resolve("recognition.jar")));
        try (Classifier local = Classifier.load()) {
            long t0 = System.nanoTime();
            try (RemoteExecutor e = node.client.allocate(AllocationSpec.of(1, 512, HotTimeout.ofMicros(1_000), pkg,
                    1 << 20, 64))) {
                int checked = 0;
                for (String name : List.of("scene-1024x768.jpg", "scene-640x480-alpha.png")) {
                    byte[] image = Samples.read(name);
                    for (int k : new int[] {1, 3, 5}) {
                        List<Prediction> remote = Prediction.read(e.invoke("recognize", Recognizer.request(k, image)),
                                Classifier.LABELS);
                        if (checked++ == 0) {
                            System.out.printf("recognition: cold start (allocate .. first answer) %.1f ms%n",
                                    (System.nanoTime() - t0) / 1e6);
                        }
                        assertEquals(local.classify(new ByteArrayInputStream(image), k), remote, name + " top " + k);
                    }
                }
                assertEquals("Drawing", Prediction.read(e.invoke("recognize", Recognizer.request(1,
                        Samples.read("scene-1024x768.jpg"))), Classifier.LABELS).getFirst().label());
                FunctionFailedException bad = assertThrows(FunctionFailedException.class,
                        () -> e.invoke("recognize", Recognizer.request(9, new byte[] {1, 2, 3})));
                assertTrue(bad.getMessage().contains("k 9"), bad.getMessage());
                assertThrows(FunctionFailedException.class, () -> e.invoke("recognize", Recognizer.request(1,
                        new byte[] {1, 2, 3})));
            }
        }
    }
}
