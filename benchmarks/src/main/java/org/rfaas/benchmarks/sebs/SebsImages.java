package org.rfaas.benchmarks.sebs;

import org.rfaas.sebs.Samples;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The benchmark's images: the project's drawn sample scene ({@code scene-1024x768.jpg}, made by
 * the sebs module's {@code SampleImages}) scaled to each size and encoded as JPEG.
 */
final class SebsImages {
    /** Widths of the full run (4:3). */
    static final List<Integer> FULL_WIDTHS = List.of(320, 640, 1024, 2048);
    /** Widths of {@code --quick}. */
    static final List<Integer> QUICK_WIDTHS = List.of(320, 1024);

    private SebsImages() {
    }

    /** JPEG bytes by "WxH" label, in the order of {@code widths}. */
    static Map<String, byte[]> jpegs(List<Integer> widths) {
        try {
            BufferedImage scene = ImageIO.read(new ByteArrayInputStream(Samples.read(Samples.SCENE_JPEG)));
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (int w : widths) {
                int h = w * 3 / 4;
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(scene, 0, 0, w, h, null);
                g.dispose();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageIO.write(img, "jpeg", bytes);
                out.put(w + "x" + h, bytes.toByteArray());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the benchmark images", e);
        }
    }
}
