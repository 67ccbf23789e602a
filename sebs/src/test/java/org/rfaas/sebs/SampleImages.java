package org.rfaas.sebs;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Makes the sample images in {@code src/main/resources/org/rfaas/sebs/images} (drawn by this class, so the
 * project owns them; no third-party picture is shipped): {@code java org.rfaas.sebs.SampleImages DIR}.
 * A 1024x768 JPEG scene (gradients, discs, lines: edges and smooth areas for the scaler) and a
 * 640x480 PNG with an alpha channel.
 */
public final class SampleImages {
    private SampleImages() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "sebs/src/main/resources/org/rfaas/sebs/images");
        Files.createDirectories(dir);
        ImageIO.write(scene(1024, 768, false), "jpeg", dir.resolve("scene-1024x768.jpg").toFile());
        ImageIO.write(scene(640, 480, true), "png", dir.resolve("scene-640x480-alpha.png").toFile());
    }

    static BufferedImage scene(int w, int h, boolean alpha) {
        BufferedImage img = new BufferedImage(w, h, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(20, 60, 140, alpha ? 160 : 255), w, h, new Color(250, 200, 80)));
        g.fillRect(0, 0, w, h);
        for (int i = 0; i < 12; i++) {
            g.setColor(Color.getHSBColor(i / 12f, 0.8f, 0.9f));
            int r = h / 10 + i * h / 60;
            g.fillOval(i * w / 12, (int) (h / 2 + Math.sin(i) * h / 3) - r / 2, r, r);
        }
        g.setStroke(new BasicStroke(3));
        g.setColor(Color.BLACK);
        for (int x = 0; x < w; x += w / 16) {
            g.drawLine(x, 0, w - x, h);
        }
        g.dispose();
        return img;
    }
}
