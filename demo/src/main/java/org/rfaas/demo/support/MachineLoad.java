package org.rfaas.demo.support;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How much CPU other processes (not this one and its descendants) used over an interval: a latency
 * measured while they compete for the cores reports that competition, so the demo says so. Each
 * process's own CPU time is read (what {@link ProcessHandle.Info#totalCpuDuration} gives, on Linux
 * from {@code /proc}), so a process is charged only for what it used in the interval.
 *
 * @param cpuNanos CPU time so far of every process alive at the snapshot whose time was readable
 * @param ours this process and its descendants at the snapshot
 * @param atNanos when it was taken ({@link System#nanoTime})
 */
public record MachineLoad(Map<ProcessHandle, Long> cpuNanos, Set<ProcessHandle> ours, long atNanos) {
    public MachineLoad {
        cpuNanos = Map.copyOf(cpuNanos);
        ours = Set.copyOf(ours);
    }

    /** The counters now (reads every process's CPU time: call it outside what is being measured). */
    public static MachineLoad now() {
        Set<ProcessHandle> ours = new HashSet<>();
        Stream.concat(Stream.of(ProcessHandle.current()), ProcessHandle.current().descendants()).forEach(ours::add);
        Map<ProcessHandle, Long> cpu = new HashMap<>();
        ProcessHandle.allProcesses().forEach(p -> p.info().totalCpuDuration().ifPresent(d -> cpu.put(p, d.toNanos())));
        return new MachineLoad(cpu, ours, System.nanoTime());
    }

    /**
     * Cores' worth of CPU that other processes used between {@code before} and this snapshot, or
     * NaN when unknown (no interval, or no process's time readable). A process that started in
     * between counts with all its time; one that ended in between is not seen (a lower bound: the
     * demo only says "others competed" when they surely did).
     */
    public double otherCoresSince(MachineLoad before) {
        if (atNanos <= before.atNanos || cpuNanos.isEmpty()) {
            return Double.NaN;
        }
        long others = 0;
        for (Map.Entry<ProcessHandle, Long> e : cpuNanos.entrySet()) {
            ProcessHandle p = e.getKey();
            if (!ours.contains(p) && !before.ours.contains(p)) {
                // A handle includes the process's start time: a reused pid is another process.
                others += Math.max(0, e.getValue() - before.cpuNanos.getOrDefault(p, 0L));
            }
        }
        return (double) others / (atNanos - before.atNanos);
    }
}
