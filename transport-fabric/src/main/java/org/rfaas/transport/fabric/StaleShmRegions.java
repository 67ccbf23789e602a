package org.rfaas.transport.fabric;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the shared-memory regions that libfabric's shm provider left behind for processes that
 * no longer exist.
 *
 * <p>Why: libfabric 1.17's shm provider maps a 16 MiB region per endpoint at
 * {@code /dev/shm/<pid>:<n>:<n>} and unlinks it only when the endpoint is closed. A process killed
 * with SIGKILL — an executor past its grace period, a crashed client — never closes it, and the
 * region keeps its tmpfs memory until reboot. Opening a {@code fabric:shm} transport therefore
 * sweeps the regions whose process is gone. Only regular files with exactly that name, whose pid
 * is not alive, and that this user may delete are touched. Set
 * {@code -Drfaas.fabric.sweepStaleShmRegions=false} where processes in another pid namespace share
 * /dev/shm with this one.
 */
final class StaleShmRegions {
    private static final Logger LOG = LoggerFactory.getLogger(StaleShmRegions.class);
    private static final Pattern REGION = Pattern.compile("(\\d{1,10}):\\d{1,10}:\\d{1,10}");
    /** Where the shm provider keeps its regions. */
    static final Path DEV_SHM = Path.of("/dev/shm");

    private StaleShmRegions() {
    }

    /** Sweeps /dev/shm unless disabled ({@link FabricContext#sweepStaleShmRegions()}). */
    static void sweepIfEnabled(FabricContext context) {
        if (context.sweepStaleShmRegions() && Files.isDirectory(DEV_SHM)) {
            sweep(DEV_SHM);
        }
    }

    /**
     * Removes the stale regions in {@code dir}.
     *
     * @return how many were removed
     */
    static int sweep(Path dir) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                Matcher m = REGION.matcher(file.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (ProcessHandle.of(Long.parseLong(m.group(1))).isPresent()) {
                    continue;
                }
                try {
                    Files.delete(file);
                    removed++;
                } catch (IOException e) {
                    LOG.debug("cannot remove stale libfabric shm region {}: {}", file, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {} for stale libfabric shm regions: {}", dir, e.toString());
        }
        if (removed > 0) {
            LOG.info("removed {} libfabric shm region(s) of processes that no longer exist from {}", removed, dir);
        }
        return removed;
    }
}
