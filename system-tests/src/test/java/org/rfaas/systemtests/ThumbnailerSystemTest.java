package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.sebs.Samples;
import org.rfaas.sebs.SebsPackages;
import org.rfaas.sebs.ThumbnailRequest;
import org.rfaas.sebs.ThumbnailRequest.Format;
import org.rfaas.sebs.Thumbnails;

/**
 * The SeBS thumbnailer through a real executor manager and executor, on the project's sample
 * images; every thumbnail equals, byte for byte, the same library run in this process.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThumbnailerSystemTest {
    Path dir;
    ExecutorManager manager;
    RfaasClient client;

    InProcessNode node;

    @BeforeEach
    void start() throws Exception {
        node = InProcessNode.start("thumb", c -> c.withSpareExecutors(0));
        dir = node.dir;
        manager = node.manager;
        client = node.client;
    }

    @AfterEach
    void stop() {
        node.close();
    }

    @Test
    void thumbnailsFromTheExecutorEqualTheLocalLibrary() throws Exception {
        FunctionPackage pkg = FunctionPackage.jar(SebsPackages.writeThumbnailerJar(dir.resolve("thumbnailer.jar")));
        byte[] jpeg = Samples.read("scene-1024x768.jpg");
        byte[] png = Samples.read("scene-640x480-alpha.png");
        List<ThumbnailRequest> requests = List.of(new ThumbnailRequest(200, 200, Format.JPEG, 80),
                new ThumbnailRequest(160, 90, Format.PNG, 85), new ThumbnailRequest(1024, 1024, Format.JPEG, 95));
        try (RemoteExecutor e = client.allocate(AllocationSpec.of(1, 256, HotTimeout.ofMicros(1_000), pkg, 1 << 20,
                1 << 20))) {
            for (byte[] image : List.of(jpeg, png)) {
                for (ThumbnailRequest r : requests) {
                    byte[] remote = e.invoke("thumbnail", r.encode(image));
                    byte[] local = Thumbnails.make(new ByteArrayInputStream(image), r);
                    assertArrayEquals(local, remote, r + " differs from the local run");
                    BufferedImage t = ImageIO.read(new ByteArrayInputStream(remote));
                    BufferedImage s = ImageIO.read(new ByteArrayInputStream(image));
                    double scale = Math.min(1.0, Math.min((double) r.maxWidth() / s.getWidth(),
                            (double) r.maxHeight() / s.getHeight()));
                    assertEquals(Math.round(s.getWidth() * scale), t.getWidth());
                    assertEquals(Math.round(s.getHeight() * scale), t.getHeight());
                }
            }
            // For the journal: hot round trip vs the same work in this process (medians of 15, after 5).
            ThumbnailRequest r = requests.getFirst();
            byte[] input = r.encode(jpeg);
            long[] remote = new long[15];
            long[] local = new long[15];
            for (int i = -5; i < 15; i++) {
                long t0 = System.nanoTime();
                e.invoke("thumbnail", input);
                long t1 = System.nanoTime();
                Thumbnails.make(new ByteArrayInputStream(jpeg), r);
                long t2 = System.nanoTime();
                if (i >= 0) {
                    remote[i] = t1 - t0;
                    local[i] = t2 - t1;
                }
            }
            java.util.Arrays.sort(remote);
            java.util.Arrays.sort(local);
            System.out.printf("thumbnailer: %d KB JPEG -> 200x150 JPEG, tcp: rFaaS hot %.2f ms, local %.2f ms (medians)%n",
                    jpeg.length / 1024, remote[7] / 1e6, local[7] / 1e6);
            byte[] notAnImage = new ThumbnailRequest(10, 10, Format.PNG, 85).encode(new byte[] {1, 2, 3});
            assertThrows(FunctionFailedException.class, () -> e.invoke("thumbnail", notAnImage));
        }
    }
}
