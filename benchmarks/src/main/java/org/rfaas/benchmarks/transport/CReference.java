package org.rfaas.benchmarks.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.benchmarks.common.NativeProbes;
import org.rfaas.benchmarks.common.Probe;
import org.rfaas.benchmarks.common.ProbeOutput;

/**
 * The C reference measured next to each row: the same round trip with nothing but the kernel and
 * the hardware in the way.
 *
 * <table>
 *   <caption>references</caption>
 *   <tr><th>transport</th><th>hot</th><th>warm</th></tr>
 *   <tr><td>shm</td><td>{@code shm_probe spin}: busy-polled shared mapping</td>
 *       <td>{@code shm_probe futex}: futex wait/wake on the shared mapping</td></tr>
 *   <tr><td>tcp</td><td>{@code tcp_probe spin}: non-blocking loopback socket, busy-polled</td>
 *       <td>{@code tcp_probe block}: blocking loopback socket</td></tr>
 *   <tr><td>fabric:&lt;p&gt;</td><td>{@code fi_probe p rma} (or {@code msg} when rma cannot run):
 *       libfabric RDM endpoint, busy-polled CQ</td><td>none: fi_probe only busy-polls</td></tr>
 * </table>
 */
final class CReference {
    private final Probe probe;
    private final String label;
    private final String transport;
    private final boolean takesWarmup;
    /** Alternative leading arguments, tried in order until one does not SKIP. */
    private final List<List<String>> variants;
    private int variant;

    private CReference(Probe probe, String label, String transport, boolean takesWarmup, List<List<String>> variants) {
        this.probe = probe;
        this.label = label;
        this.transport = transport;
        this.takesWarmup = takesWarmup;
        this.variants = variants;
    }

    /** The reference for {@code transport} in {@code mode}. */
    static CReference of(NativeProbes probes, String transport, Mode mode) {
        boolean hot = mode == Mode.HOT;
        if (transport.equals("shm")) {
            return new CReference(probes.probe("shm_probe"), hot ? "C shm busy-poll" : "C futex wake-up", transport, true,
                    List.of(List.of(hot ? "spin" : "futex")));
        }
        if (transport.equals("tcp")) {
            return new CReference(probes.probe("tcp_probe"), hot ? "C tcp busy-poll" : "C tcp blocking", transport, true,
                    List.of(List.of(hot ? "spin" : "block")));
        }
        if (transport.startsWith("fabric:") && hot) {
            String provider = transport.substring("fabric:".length());
            return new CReference(probes.probe("fi_probe"), "C fi_probe " + provider, transport, false,
                    List.of(List.of(provider, "rma"), List.of(provider, "msg")));
        }
        return new CReference(null, transport.startsWith("fabric:") ? "none (fi_probe only busy-polls)" : "none",
                transport, false, List.of());
    }

    /** The probe, or {@code null} when this transport/mode has no C reference. */
    Probe probe() {
        return probe;
    }

    /** What the reference is, for the table. */
    String label() {
        return variants.size() > 1 ? label + " " + variants.get(variant).getLast() : label;
    }

    /**
     * Runs one round of {@code iters} timed round trips after {@code warmup} untimed ones between
     * {@code cpuPing} and {@code cpuPong}. Probes without a warm-up argument do their own.
     */
    ProbeOutput run(int bytes, int iters, int warmup, int cpuPing, int cpuPong, Duration timeout) {
        if (probe == null) {
            return new ProbeOutput.Skip("no C reference for " + transport);
        }
        ProbeOutput out = null;
        for (; variant < variants.size(); variant++) {
            List<String> args = new ArrayList<>(variants.get(variant));
            args.add(Integer.toString(bytes));
            args.add(Integer.toString(iters));
            if (takesWarmup) {
                args.add(Integer.toString(warmup));
            }
            args.add(Integer.toString(cpuPing));
            args.add(Integer.toString(cpuPong));
            out = probe.run(args, timeout);
            if (out instanceof ProbeOutput.Result) {
                return out;
            }
        }
        variant = Math.max(0, variants.size() - 1);
        return out;
    }
}
