package org.rfaas.benchmarks.transport;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.rfaas.benchmarks.common.Affinity;
import org.rfaas.benchmarks.common.JsonRows;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.demo.support.NativeEnvironment;
import org.rfaas.benchmarks.common.NativeProbes;
import org.rfaas.benchmarks.common.Placement;
import org.rfaas.benchmarks.common.Probe;
import org.rfaas.benchmarks.common.ProbeOutput;
import org.rfaas.benchmarks.common.Progress;
import org.rfaas.demo.support.TextTable;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/**
 * {@code rfaas bench transport}: ping-pong round trips over each transport provider between two OS
 * processes (this JVM pings, a child JVM pongs), hot and warm, at several payload sizes, each row
 * measured next to a C reference program compiled on the fly.
 *
 * <p>Per row: a short pilot that sizes the rounds, then pairs of a C round and one of ours of about
 * the same number of round trips (C first in even pairs, ours first in odd ones), with a placement
 * probe before, between and after the two rounds of each pair. Every statistic of a row is the
 * median over its usable pairs, so a disturbance during one round (a neighbour process) does not
 * decide the row, and ours and C see the same machine. A pair is usable when its three probes
 * agree that the two vCPUs were "close", "near" or "far" throughout; the row uses the placement with more
 * usable pairs ({@link RoundPairs}), and runs extra pairs when a change cost it some.
 */
public final class TransportBenchmark {
    /** Transports measured when none are named. */
    public static final List<String> DEFAULT_TRANSPORTS = List.of("shm", "tcp", "fabric:tcp", "fabric:shm");
    /** Payload sizes of every transport/mode. */
    public static final List<Integer> DEFAULT_SIZES = List.of(8, 64, 1024, 64 * 1024, 1024 * 1024);

    /**
     * What to run.
     *
     * @param quick fewer, shorter rounds (the whole run ends within a minute)
     * @param transports the transports to measure, e.g. {@code shm, tcp, fabric:tcp}
     * @param sizes payload sizes in bytes
     * @param json where to write the JSON rows, or {@code null}
     * @param cpuPing CPU of the ping side (-1: unpinned)
     * @param cpuPong CPU of the pong side (-1: unpinned)
     * @param verbose print every round's medians to stderr
     */
    public record Options(boolean quick, List<String> transports, List<Integer> sizes, Path json, int cpuPing, int cpuPong,
            boolean verbose) {
        public Options {
            transports = List.copyOf(transports);
            sizes = List.copyOf(sizes);
            for (int s : sizes) {
                if (s < 0 || s > MAX_BYTES) {
                    throw new IllegalArgumentException("payload size " + s + " is outside 0.." + MAX_BYTES);
                }
            }
        }

        /** Defaults: all transports, all sizes, CPUs 0 and 1 when the machine has two. */
        public static Options defaults(boolean quick) {
            boolean two = Affinity.availableCpus() >= 2;
            return new Options(quick, DEFAULT_TRANSPORTS, DEFAULT_SIZES, null, two ? 0 : -1, two ? 1 : -1, false);
        }
    }

    /**
     * Rounds and budgets of a quick or a full run. A quick run also has a deadline for all its rows
     * together: when JVM start-ups or a loaded machine ate into it, the remaining rows get shorter
     * rounds (never fewer than {@code minIters} round trips), so {@code --quick} stays quick.
     */
    private record Plan(int rounds, int maxPairs, Duration roundBudget, int minIters, int maxIters, Duration warmUp,
            Duration maxWarmUp, Duration rowsDeadline) {
        static Plan of(boolean quick) {
            return quick ? new Plan(3, 5, Duration.ofMillis(40), 20, 200_000, Duration.ofMillis(1000), Duration.ofSeconds(5),
                            Duration.ofSeconds(40))
                    : new Plan(7, 14, Duration.ofMillis(100), 100, 1_000_000, Duration.ofSeconds(4), Duration.ofSeconds(20), null);
        }
    }

    private static final int MAX_BYTES = 1024 * 1024;
    /**
     * The row targets: transport, mode, bytes, highest ours/C median ratio. Issue 2: shm hot 8 B,
     * tcp hot 64 B; issue 22: tcp at 64 KiB, hot and warm, as close to C as at 1 KiB.
     */
    private static final List<Target> TARGETS = List.of(new Target("shm", Mode.HOT, 8, 1.5),
            new Target("tcp", Mode.HOT, 64, 1.3), new Target("tcp", Mode.HOT, 64 << 10, 1.2),
            new Target("tcp", Mode.WARM, 64 << 10, 1.2));

    private record Target(String transport, Mode mode, int bytes, double maxRatio) {
    }

    private final Options options;
    private final Plan plan;
    private final PrintStream out;
    private final List<String> notes = new ArrayList<>();
    private long deadlineNanos;
    private int rowsLeft;

    /** A benchmark printing to {@code out}. */
    public TransportBenchmark(Options options, PrintStream out) {
        this.options = Objects.requireNonNull(options);
        this.plan = Plan.of(options.quick());
        this.out = out;
    }

    /** Runs every row, prints the table (and writes the JSON file) and returns the rows. */
    public List<TransportRow> run() {
        Thread reaper = Thread.ofPlatform().unstarted(
                () -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly));
        Runtime.getRuntime().addShutdownHook(reaper); // Ctrl-C must not leave a spinning pong behind
        try {
            return runRows();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs anyway
            }
        }
    }

    private List<TransportRow> runRows() {
        NativeEnvironment.protectJvmSignalsFromLibfabric(); // before any provider loads libfabric
        out.printf("rfaas bench transport: round trips between two processes (this JVM = ping, a child JVM = pong)%s%n",
                options.cpuPing() >= 0 ? ", pinned to CPUs " + options.cpuPing() + " and " + options.cpuPong() : ", unpinned");
        for (Mode m : Mode.values()) {
            out.printf("  %-4s = %s%n", m.label(), m.meaning());
        }
        out.printf("  each row: %d pairs of rounds (C then ours, then ours then C, ...), ~%d ms per round%s;"
                + " statistics are medians over the pairs used%n",
                plan.rounds(), plan.roundBudget().toMillis(), plan.rowsDeadline() == null ? "" : " (less when behind schedule)");
        out.printf("  placement = cache-line round trip between the CPUs (close < %d ns <= near < %d ns <= far), probed"
                + " before, between and after the rounds of each pair; a pair with a change inside is dropped (up to %d"
                + " pairs are run to get %d on one placement)%n", Placement.CLOSE_NS, Placement.FAR_NS, plan.maxPairs(),
                plan.rounds());
        out.println("  ratio = ours median / C median, both from the same pairs");
        out.flush();

        loadWarning().ifPresent(out::println);
        NativeProbes probes = NativeProbes.inDefaultCache();
        Placement placement = new Placement(probes, options.cpuPing(), options.cpuPong());
        reportProbes(probes);

        int maxBytes = options.sizes().stream().mapToInt(Integer::intValue).max().orElse(8);
        int slotBytes = Math.max(8, (maxBytes + 7) & ~7);
        List<TransportRow> rows = new ArrayList<>();
        int total = options.transports().size() * Mode.values().length * options.sizes().size();
        rowsLeft = total;
        deadlineNanos = plan.rowsDeadline() == null ? Long.MAX_VALUE : System.nanoTime() + plan.rowsDeadline().toNanos();
        Set<String> schemes = Set.copyOf(Transports.schemes());
        try (Progress progress = Progress.start("bench transport", total)) {
            for (String transport : options.transports()) {
                String scheme = transport.contains(":") ? transport.substring(0, transport.indexOf(':')) : transport;
                int rowsOfTransport = Mode.values().length * options.sizes().size();
                if (!schemes.contains(scheme)) {
                    note("SKIP " + transport + ": no '" + scheme + "' provider on the class path (have " + schemes + ")");
                    skipSteps(progress, rowsOfTransport);
                    continue;
                }
                progress.status(transport + ": starting the pong JVM and warming up");
                PingSide ping;
                try {
                    ping = new PingSide(transport, slotBytes, options.cpuPing(), options.cpuPong());
                } catch (TransportException | IllegalArgumentException e) {
                    note("SKIP " + transport + ": " + e.getMessage());
                    skipSteps(progress, rowsOfTransport);
                    continue;
                }
                int done = 0;
                try (ping) {
                    long warmStart = System.nanoTime();
                    long warmMedian = ping.warmUp(options.sizes(), plan.warmUp(), plan.maxWarmUp());
                    if (options.verbose()) {
                        System.err.printf("  %s warmed up in %.1f s: smallest size hot median %s%n", transport,
                                (System.nanoTime() - warmStart) / 1e9, TextTable.ns(warmMedian));
                    }
                    for (Mode mode : Mode.values()) {
                        CReference ref = CReference.of(probes, transport, mode);
                        for (int bytes : options.sizes()) {
                            progress.begin(transport + " " + mode.label() + " " + TextTable.bytes(bytes));
                            rows.add(measureRow(ping, ref, placement, mode, bytes));
                            progress.step();
                            rowsLeft--;
                            done++;
                        }
                    }
                } catch (RuntimeException e) {
                    note("ERROR " + transport + ": " + e.getMessage() + " (its remaining rows are missing)");
                    skipSteps(progress, rowsOfTransport - done);
                }
            }
        }
        printResults(rows);
        return rows;
    }

    /** A warning when the machine is too busy for busy-poll numbers to mean anything. */
    private static java.util.Optional<String> loadWarning() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            double load = Double.parseDouble(f[0]);
            int cpus = Affinity.availableCpus();
            if (load > 1.5 * cpus) {
                return java.util.Optional.of(String.format("WARNING the machine is busy (load average %.1f on %d CPUs): busy-polling"
                        + " needs both CPUs, so hot rows (ours and C alike) measure the scheduler more than the transport", load, cpus));
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no /proc/loadavg (not Linux): no warning
        }
        return java.util.Optional.empty();
    }

    private void skipSteps(Progress progress, int n) {
        for (int i = 0; i < n; i++) {
            progress.step();
        }
        rowsLeft -= n;
    }

    /** This row's round length: the plan's, or less when a quick run is behind its deadline. */
    private Duration roundBudget() {
        if (deadlineNanos == Long.MAX_VALUE) {
            return plan.roundBudget();
        }
        long perRow = (deadlineNanos - System.nanoTime()) / Math.max(1, rowsLeft);
        // a row is ~2 rounds per pair plus the pilot and the placement probes
        long share = perRow / (2L * plan.rounds() + 3);
        return Duration.ofNanos(Math.clamp(share, 5_000_000L, plan.roundBudget().toNanos()));
    }

    private void reportProbes(NativeProbes probes) {
        Map<String, Probe> needed = new LinkedHashMap<>();
        needed.put("placement_probe", probes.probe("placement_probe"));
        for (String t : options.transports()) {
            for (Mode m : Mode.values()) {
                CReference ref = CReference.of(probes, t, m);
                if (ref.probe() != null) {
                    needed.putIfAbsent(ref.probe().name(), ref.probe());
                }
            }
        }
        out.println("  C probes: " + probes.directory());
        // one line per reason, so a missing gcc reads "SKIP gcc not found ..." once
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (Probe p : needed.values()) {
            if (!p.isAvailable()) {
                byReason.computeIfAbsent(p.unavailableReason(), k -> new ArrayList<>()).add(p.name());
            }
        }
        byReason.forEach((reason, names) -> out.println("SKIP " + reason + " (no " + String.join(", ", names) + ")"));
        out.flush();
    }

    private TransportRow measureRow(PingSide ping, CReference ref, Placement placement, Mode mode, int bytes) {
        Duration roundBudget = roundBudget();
        long pilot = Math.max(1, ping.pilotMeanNanos(bytes, mode, 200, roundBudget.dividedBy(2)));
        long budget = roundBudget.toNanos();
        int iters = (int) Math.clamp(budget / pilot, plan.minIters(), plan.maxIters());
        int warmup = Math.max(5, iters / 10);
        // generous against a loaded machine, yet a hung probe must not stall a quick run for long
        Duration cTimeout = Duration.ofNanos(Math.max(Duration.ofSeconds(options.quick() ? 15 : 60).toNanos(),
                50L * (iters + warmup) * pilot));
        boolean withC = ref.probe() != null && ref.probe().isAvailable();
        CRounds c = new CRounds(ref, ping.transportName(), mode, bytes, iters, warmup, cTimeout, withC);
        RoundPairs pairs = new RoundPairs(withC);
        Placement.Sample probe = placement.measure();
        if (!probe.measured() && probe.skipReason() != null) {
            noteOnce("SKIP placement probe: " + probe.skipReason());
        }
        while (pairs.size() < plan.maxPairs() && !pairs.complete(plan.rounds())) {
            // past the planned pairs only while the change cost this row some: never more than maxPairs
            if (pairs.size() >= plan.rounds() && pastDeadline()) {
                break;
            }
            int r = pairs.size();
            boolean cFirst = r % 2 == 0; // alternate, so neither side always runs right after the pilot or the other
            Placement.Sample before = probe;
            LatencyStats first = cFirst ? c.run(r) : ping.round(bytes, mode, iters, warmup);
            Placement.Sample between = placement.measure();
            LatencyStats second = cFirst ? ping.round(bytes, mode, iters, warmup) : c.run(r);
            probe = placement.measure();
            RoundPairs.Pair pair = new RoundPairs.Pair(cFirst ? second : first, cFirst ? first : second, before, between, probe);
            pairs.add(pair);
            if (options.verbose()) {
                System.err.printf("  pair %d %s %s %s: iters=%d  C median=%s  ours median=%s  placement %d/%d/%d ns (%s)%n", r + 1,
                        ping.transportName(), mode.label(), TextTable.bytes(bytes), iters,
                        pair.c() == null ? "-" : TextTable.ns(pair.c().medianNs()), TextTable.ns(pair.ours().medianNs()),
                        before.rttNs(), between.rttNs(), probe.rttNs(), pair.kind());
            }
        }
        RoundPairs.Selection used = pairs.select();
        LatencyStats reference = pairs.reference(used);
        return new TransportRow(ping.transportName(), mode, bytes, pairs.ours(used), reference,
                reference == null ? c.missingLabel() : ref.label(), used);
    }

    /** A quick run whose rows together are past their deadline runs no extra pairs. */
    private boolean pastDeadline() {
        return deadlineNanos != Long.MAX_VALUE && System.nanoTime() > deadlineNanos;
    }

    /** The C rounds of one row: a probe that skips or fails costs its rounds, not the row. */
    private final class CRounds {
        private final CReference ref;
        private final String what;
        private final int bytes;
        private final int iters;
        private final int warmup;
        private final Duration timeout;
        private boolean runs;
        private String missingLabel;

        CRounds(CReference ref, String transport, Mode mode, int bytes, int iters, int warmup, Duration timeout, boolean runs) {
            this.ref = ref;
            this.what = transport + " " + mode.label() + " " + TextTable.bytes(bytes);
            this.bytes = bytes;
            this.iters = iters;
            this.warmup = warmup;
            this.timeout = timeout;
            this.runs = runs;
            this.missingLabel = runs ? "skipped" : ref.probe() == null ? ref.label() : "skipped";
        }

        /** Round {@code r}'s statistics, or {@code null} when the probe does not run here or failed. */
        LatencyStats run(int r) {
            if (!runs) {
                return null;
            }
            try {
                return switch (ref.run(bytes, iters, warmup, options.cpuPing(), options.cpuPong(), timeout)) {
                    case ProbeOutput.Result res -> res.rtt();
                    case ProbeOutput.Skip s -> {
                        runs = false;
                        missingLabel = "skipped";
                        noteOnce("SKIP " + ref.label() + " (" + what + "): " + s.reason());
                        yield null;
                    }
                };
            } catch (Probe.ProbeFailedException e) {
                // one failed C round (e.g. starved on a loaded machine) costs that pair, not the row
                missingLabel = "failed";
                note("ERROR C round " + (r + 1) + " of " + what + ": " + e.getMessage());
                return null;
            }
        }

        /** What the C column says when no C round ran. */
        String missingLabel() {
            return missingLabel;
        }
    }

    private void note(String line) {
        notes.add(line);
    }

    private void noteOnce(String line) {
        if (!notes.contains(line)) {
            notes.add(line);
        }
    }

    private void printResults(List<TransportRow> rows) {
        out.println();
        out.print(render(rows));
        for (String n : notes) {
            out.println(n);
        }
        for (Target t : TARGETS) {
            rows.stream()
                    .filter(r -> r.transport().equals(t.transport()) && r.mode() == t.mode() && r.bytes() == t.bytes())
                    .findFirst()
                    .ifPresent(r -> out.println(targetLine(t, r)));
        }
        if (options.json() != null) {
            JsonRows.write(options.json(), jsonRows(rows));
            out.println("JSON rows written to " + options.json());
        }
        out.flush();
    }

    private static String targetLine(Target t, TransportRow r) {
        double ratio = r.ratio();
        String head = "TARGET " + t.transport() + " " + t.mode().label() + " " + TextTable.bytes(t.bytes())
                + ": ours/C median <= " + t.maxRatio() + "x: ";
        if (Double.isNaN(ratio)) {
            return head + "not measured (no C reference)";
        }
        RoundPairs.Selection p = r.placement();
        if (p.undecided()) {
            return head + String.format("%.2fx UNDECIDED: the placement changed inside every pair of rounds (%d); run it again",
                    ratio, p.total());
        }
        return head + String.format("%.2fx %s (%s, %d of %d pairs)", ratio, ratio <= t.maxRatio() ? "MET" : "MISSED",
                p.kind(), p.used().size(), p.total());
    }

    /** The results table as printed. */
    public static String render(List<TransportRow> rows) {
        TextTable table = new TextTable(TransportRow.header(), TransportRow.numericColumns());
        for (TransportRow r : rows) {
            table.add(r.cells());
        }
        return table.render();
    }

    /** The JSON objects of the rows that have our measurement. */
    public static List<TransportRow.Json> jsonRows(List<TransportRow> rows) {
        return rows.stream().map(TransportRow::json).filter(Objects::nonNull).toList();
    }
}
