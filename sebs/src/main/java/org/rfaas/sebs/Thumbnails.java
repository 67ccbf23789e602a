package org.rfaas.sebs;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.ServiceLoader;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ImageWriterSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The thumbnailer's work, the same in an executor and in a local run: decode (ImageIO, with the
 * TwelveMonkeys JPEG plugin for the variants the JDK refuses), scale to fit the requested box
 * keeping the aspect ratio (bilinear), encode as JPEG or PNG. Both streams stay in memory: ImageIO's
 * default for plain streams is a temporary file per image read and written, which cost more than
 * the thumbnail itself on a loaded machine.
 */
public final class Thumbnails {
    static {
        // ImageIO scans only the application class path; a function package has its own class
        // loader, so its plugins are registered here (a no-op where the scan already found them).
        IIORegistry registry = IIORegistry.getDefaultInstance();
        ClassLoader own = Thumbnails.class.getClassLoader();
        ServiceLoader.load(ImageReaderSpi.class, own).forEach(registry::registerServiceProvider);
        ServiceLoader.load(ImageWriterSpi.class, own).forEach(registry::registerServiceProvider);
    }

    private Thumbnails() {
    }

    /** Makes the thumbnail of {@code image} as {@code request} asks. */
    public static byte[] make(InputStream image, ThumbnailRequest request) throws IOException {
        BufferedImage source = decode(image);
        double scale = Math.min(1.0, Math.min((double) request.maxWidth() / source.getWidth(),
                (double) request.maxHeight() / source.getHeight()));
        int w = Math.max(1, (int) Math.round(source.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(source.getHeight() * scale));
        boolean alpha = request.format() == ThumbnailRequest.Format.PNG && source.getColorModel().hasAlpha();
        BufferedImage thumb = new BufferedImage(w, h, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = thumb.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(source, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return encode(thumb, request);
    }

    /**
     * Decodes a JPEG or PNG image with ImageIO and this package's plugins (also the classifier's
     * decoder). The image is in memory already: read through a memory-cached stream, where
     * {@code ImageIO.read(InputStream)} would by default copy it into a temporary file first.
     */
    static BufferedImage decode(InputStream image) throws IOException {
        ImageInputStream in = new MemoryCacheImageInputStream(image);
        BufferedImage source = ImageIO.read(in); // closes the stream, unless it returns null
        if (source == null) {
            in.close();
            throw new IOException("not an image ImageIO can read (JPEG or PNG expected)");
        }
        return source;
    }

    private static byte[] encode(BufferedImage thumb, ThumbnailRequest request) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(request.format().imageIoName);
        if (!writers.hasNext()) {
            throw new IOException("no ImageIO writer for " + request.format());
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        // Memory-cached, like the input: the default would buffer the thumbnail in a temporary file.
        try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (request.format() == ThumbnailRequest.Format.JPEG) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(request.quality() / 100f);
            }
            writer.write(null, new IIOImage(thumb, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
