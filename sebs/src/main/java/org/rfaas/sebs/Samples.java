package org.rfaas.sebs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The sample images shipped with the module (drawn by the project's {@code SampleImages}: no
 * third-party picture), for tests and benchmarks.
 */
public final class Samples {
    /** 1024×768 JPEG, 83 KB. */
    public static final String SCENE_JPEG = "scene-1024x768.jpg";
    /** 640×480 PNG with alpha, 95 KB. */
    public static final String SCENE_PNG = "scene-640x480-alpha.png";
    /** Every sample. */
    public static final List<String> ALL = List.of(SCENE_JPEG, SCENE_PNG);

    private Samples() {
    }

    /** The bytes of sample {@code name}. */
    public static byte[] read(String name) {
        try (InputStream in = Samples.class.getResourceAsStream("/org/rfaas/sebs/images/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no sample image " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sample image " + name, e);
        }
    }
}
