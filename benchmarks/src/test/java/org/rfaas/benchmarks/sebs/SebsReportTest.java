package org.rfaas.benchmarks.sebs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.benchmarks.suite.Report;
import org.rfaas.benchmarks.suite.Row;

/** The SeBS rows: overhead against the local run of the same size and mode, the plot, the images. */
class SebsReportTest {
    private static Row row(String system, String mode, long bytes, long medianNs) {
        return new Row("sebs-recognize", system, "tcp", mode, bytes, 1, 10, medianNs, medianNs * 2, 0);
    }

    @Test
    void anRfaasRowIsComparedWithTheLocalRunOfItsSizeAndMode(@TempDir Path dir) throws Exception {
        Report report = new Report();
        report.add(row("rfaas", "hot", 1000, 30_000_000));
        report.add(row("local", "hot", 1000, 27_000_000));
        report.add(row("local", "warm", 1000, 26_000_000));
        report.add(row("rfaas", "hot", 5000, 50_000_000));
        report.add(row("local", "hot", 5000, 41_000_000));
        report.add(row("rfaas", "cold-cached", 1000, 900_000_000));
        Map<String, Object> small = report.derived(report.rows().get(0));
        assertEquals(27_000_000L, small.get("raw_median_ns"));
        assertEquals(3_000_000L, small.get("overhead_ns"));
        assertEquals(9_000_000L, report.derived(report.rows().get(3)).get("overhead_ns"));
        assertNull(report.derived(report.rows().get(5)).get("overhead_ns"), "no local cold-cached row");
        List<Path> plots = SebsPlots.write(report, dir);
        assertEquals(List.of(dir.resolve("sebs-recognize.png")), plots);
        assertTrue(Files.size(plots.getFirst()) > 1000);
    }

    @Test
    void theImagesHaveTheirSizes() throws Exception {
        Map<String, byte[]> images = SebsImages.jpegs(List.of(320, 2048));
        assertEquals(List.of("320x240", "2048x1536"), List.copyOf(images.keySet()));
        BufferedImage big = ImageIO.read(new ByteArrayInputStream(images.get("2048x1536")));
        assertEquals(2048, big.getWidth());
        assertEquals(1536, big.getHeight());
        assertTrue(images.get("2048x1536").length > images.get("320x240").length);
    }
}
