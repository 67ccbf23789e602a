package org.rfaas.benchmarks.sebs;

import org.rfaas.sebs.Classifier;
import org.rfaas.sebs.Prediction;
import org.rfaas.sebs.Recognizer;
import org.rfaas.sebs.SebsPackages;
import org.rfaas.sebs.ThumbnailRequest;
import org.rfaas.sebs.Thumbnails;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A SeBS function as the benchmark drives it: its package, the input for an image, and the same
 * work done in the client's process (the function's own time, the baseline rFaaS adds to).
 */
interface SebsWorkload extends AutoCloseable {
    /** The function's name in its package. */
    String function();

    /** The lease's memory (the executor's heap), as a FaaS function is configured with. */
    long memoryMiB();

    /** Writes the function's package to {@code jar}. */
    Path writePackage(Path jar);

    /** The invocation input for {@code image}. */
    byte[] input(byte[] image);

    /** Prepares the local run (loads what the function loads at cold start). */
    void loadLocal();

    /** The function's work on {@code image} in this process; its output as the function returns it. */
    byte[] runLocal(byte[] image) throws Exception;

    /** Whether {@code remote} (the function's output) is what {@code local} ({@link #runLocal}) gave. */
    default boolean same(byte[] remote, byte[] local) {
        return Arrays.equals(remote, local);
    }

    @Override
    default void close() {
    }

    /** The thumbnailer: a 200×200-box JPEG (quality 80) of the image. */
    final class Thumbnail implements SebsWorkload {
        static final ThumbnailRequest REQUEST = new ThumbnailRequest(200, 200, ThumbnailRequest.Format.JPEG, 80);

        @Override
        public String function() {
            return "thumbnail";
        }

        @Override
        public long memoryMiB() {
            return 256;
        }

        @Override
        public Path writePackage(Path jar) {
            return SebsPackages.writeThumbnailerJar(jar);
        }

        @Override
        public byte[] input(byte[] image) {
            return REQUEST.encode(image);
        }

        @Override
        public void loadLocal() {
            // Nothing to load: ImageIO and its plugins initialise on the first call.
        }

        @Override
        public byte[] runLocal(byte[] image) throws Exception {
            return Thumbnails.make(new ByteArrayInputStream(image), REQUEST);
        }
    }

    /** Image recognition: the top 5 classes of nsfwjs' MobileNetV2 on ONNX Runtime. */
    final class Recognition implements SebsWorkload {
        static final int K = 5;
        private Classifier classifier;

        @Override
        public String function() {
            return "recognize";
        }

        /**
         * A 2048×1536 JPEG peaks at ~400 MB resident with a 256 MiB heap (decoded image, pixels,
         * one float copy in ONNX Runtime, the JVM's own), over a 256 MiB lease's limit.
         */
        @Override
        public long memoryMiB() {
            return 512;
        }

        @Override
        public Path writePackage(Path jar) {
            return SebsPackages.writeRecognitionJar(jar);
        }

        @Override
        public byte[] input(byte[] image) {
            return Recognizer.request(K, image);
        }

        @Override
        public void loadLocal() {
            close();
            classifier = Classifier.load();
        }

        @Override
        public byte[] runLocal(byte[] image) throws Exception {
            return Prediction.encode(classifier.classify(new ByteArrayInputStream(image), K));
        }

        @Override
        public void close() {
            if (classifier != null) {
                classifier.close();
                classifier = null;
            }
        }
    }
}
