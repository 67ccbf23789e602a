package org.rfaas.sebs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.sebs.ThumbnailRequest.Format;

/** The thumbnailer in this process: sizes, formats, validation, and the package it ships in. */
class ThumbnailerTest {
    static byte[] sample(String name) {
        return Samples.read(name);
    }

    private static byte[] invoke(byte[] input) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(input.length);
            MemorySegment.copy(input, 0, in, ValueLayout.JAVA_BYTE, 0, input.length);
            MemorySegment out = arena.allocate(1 << 20);
            int n = new Thumbnailer().invoke(in, out);
            return out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void jpegAndPngBecomeThumbnailsThatFitTheBoxAndKeepTheAspectRatio() throws Exception {
        byte[] jpeg = sample("scene-1024x768.jpg");
        byte[] png = sample("scene-640x480-alpha.png");
        BufferedImage a = ImageIO.read(new ByteArrayInputStream(invoke(new ThumbnailRequest(200, 200, Format.JPEG, 80)
                .encode(jpeg))));
        assertEquals(200, a.getWidth());
        assertEquals(150, a.getHeight());
        byte[] pngThumb = invoke(new ThumbnailRequest(64, 100, Format.PNG, 85).encode(png));
        BufferedImage b = ImageIO.read(new ByteArrayInputStream(pngThumb));
        assertEquals(64, b.getWidth());
        assertEquals(48, b.getHeight());
        assertTrue(b.getColorModel().hasAlpha(), "a PNG keeps its alpha channel");
        byte[] jpegToPng = invoke(new ThumbnailRequest(100, 100, Format.PNG, 85).encode(jpeg));
        assertEquals("png", ImageIO.getImageReaders(ImageIO.createImageInputStream(new ByteArrayInputStream(jpegToPng)))
                .next().getFormatName().toLowerCase());
        // The function is the library run on the slot: same bytes as a direct local call.
        ThumbnailRequest r = new ThumbnailRequest(160, 120, Format.JPEG, 75);
        assertArrayEquals(Thumbnails.make(new ByteArrayInputStream(jpeg), r), invoke(r.encode(jpeg)));
    }

    /**
     * ImageIO buffers a plain stream in a temporary file by default, one per image read and one per
     * image written: file-system work that cost more than the thumbnail on a loaded machine. The
     * thumbnailer (and the classifier's decoder) keep both in memory whatever ImageIO's setting.
     */
    @Test
    void noTemporaryFileIsWrittenForAnImage(@TempDir Path cache) throws Exception {
        byte[] jpeg = sample("scene-1024x768.jpg");
        byte[] png = sample("scene-640x480-alpha.png");
        boolean useCache = ImageIO.getUseCache();
        ImageIO.setUseCache(true);
        ImageIO.setCacheDirectory(cache.toFile());
        try (WatchService watch = cache.getFileSystem().newWatchService()) {
            cache.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            Thumbnails.make(new ByteArrayInputStream(jpeg), new ThumbnailRequest(200, 200, Format.JPEG, 80));
            Thumbnails.make(new ByteArrayInputStream(png), new ThumbnailRequest(64, 64, Format.PNG, 85));
            Thumbnails.decode(new ByteArrayInputStream(png));
            WatchKey created = watch.poll(200, TimeUnit.MILLISECONDS);
            assertNull(created, () -> "ImageIO created files in its cache directory: " + created.pollEvents().stream()
                    .map(e -> String.valueOf(e.context())).toList());
        } finally {
            ImageIO.setCacheDirectory(null);
            ImageIO.setUseCache(useCache);
        }
    }

    @Test
    void theTwelveMonkeysReaderDecodesJpeg() throws Exception {
        var readers = ImageIO.getImageReadersByFormatName("jpeg");
        assertTrue(readers.next().getClass().getName().startsWith("com.twelvemonkeys."));
    }

    @Test
    void badInputIsRefusedWithTheReason() throws Exception {
        byte[] jpeg = sample("scene-1024x768.jpg");
        byte[] in = new ThumbnailRequest(10, 10, Format.JPEG, 85).encode(jpeg);
        in[4] = 9;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> invoke(in)).getMessage().contains("format"));
        assertThrows(IllegalArgumentException.class, () -> new ThumbnailRequest(0, 10, Format.PNG, 85));
        assertThrows(IllegalArgumentException.class, () -> invoke(new byte[8]));
        byte[] notAnImage = new ThumbnailRequest(10, 10, Format.PNG, 85).encode(new byte[] {1, 2, 3});
        assertThrows(java.io.UncheckedIOException.class, () -> invoke(notAnImage));
    }

    @Test
    void thePackageCarriesTheFunctionAndItsLibraries(@TempDir Path dir) throws Exception {
        Path jar = SebsPackages.writeThumbnailerJar(dir.resolve("thumbnailer.jar"));
        Set<String> names = new HashSet<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            f.stream().forEach(e -> names.add(e.getName()));
            String readers = new String(f.getInputStream(f.getEntry("META-INF/services/javax.imageio.spi.ImageReaderSpi"))
                    .readAllBytes());
            assertTrue(readers.contains("com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi"));
        }
        assertTrue(names.contains("org/rfaas/sebs/Thumbnailer.class"));
        assertTrue(names.contains("META-INF/services/org.rfaas.function.FaasFunction"));
        assertTrue(names.stream().anyMatch(n -> n.startsWith("com/twelvemonkeys/lang/")));
        assertTrue(Files.size(jar) > 100_000);
    }
}
