package org.rfaas.demo.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * How much CPU other processes (not this one and its descendants) used over an interval: a latency
 * measured while they compete for the cores reports that competition, so the demo says so. Reads
 * {@code /proc/stat} (Linux); elsewhere the figure is unknown.
 *
 * @param busyTicks the machine's non-idle CPU time so far, in clock ticks (all cores), or -1
 * @param ownNanos CPU time of this process and its descendants so far
 * @param atNanos when it was taken ({@link System#nanoTime})
 */
public record MachineLoad(long busyTicks, long ownNanos, long atNanos) {
    /** Clock ticks per second of {@code /proc/stat} (USER_HZ, 100 on Linux). */
    private static final long TICKS_PER_SECOND = 100;
    private static final Path PROC_STAT = Path.of("/proc/stat");

    /** The counters now. */
    public static MachineLoad now() {
        long own = Stream.concat(Stream.of(ProcessHandle.current()), ProcessHandle.current().descendants())
                .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
        return new MachineLoad(readBusyTicks(), own, System.nanoTime());
    }

    /**
     * Cores' worth of CPU that other processes used between {@code before} and this snapshot, or
     * NaN when unknown. Descendants that ended in between are not subtracted, so this is an upper bound.
     */
    public double otherCoresSince(MachineLoad before) {
        if (busyTicks < 0 || before.busyTicks < 0 || atNanos <= before.atNanos) {
            return Double.NaN;
        }
        double busyNanos = (busyTicks - before.busyTicks) * (1e9 / TICKS_PER_SECOND);
        double others = busyNanos - (ownNanos - before.ownNanos);
        return Math.max(0, others) / (atNanos - before.atNanos);
    }

    /** Sum of the non-idle fields of the first line of /proc/stat, or -1. */
    private static long readBusyTicks() {
        try (Stream<String> lines = Files.lines(PROC_STAT)) {
            String cpu = lines.findFirst().orElse("");
            String[] f = cpu.trim().split("\\s+");
            if (f.length < 5 || !f[0].equals("cpu")) {
                return -1;
            }
            long busy = 0;
            // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
