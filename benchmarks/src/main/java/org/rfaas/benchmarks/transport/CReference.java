package org.rfaas.benchmarks.transport;

import java.time.Duration;
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
 *   <tr><td>fabric:&lt;p&gt;</td><td colspan="2">{@code fi_probe} over libfabric provider p (when
 *       its source is on the class path)</td></tr>
 * </table>
 *
 * @param probe the compiled probe (possibly unavailable)
 * @param label what the reference is, for the table (e.g. {@code shm busy-poll})
 * @param mode the probe's first argument (e.g. {@code spin})
 * @param extraArgs further arguments before the common ones, e.g. the libfabric provider
 */
record CReference(Probe probe, String label, String mode, List<String> extraArgs) {

    /** The reference for {@code transport} in {@code mode}. */
    static CReference of(NativeProbes probes, String transport, Mode mode) {
        boolean hot = mode == Mode.HOT;
        if (transport.equals("shm")) {
            return new CReference(probes.probe("shm_probe"), hot ? "C shm busy-poll" : "C futex wake-up",
                    hot ? "spin" : "futex", List.of());
        }
        if (transport.equals("tcp")) {
            return new CReference(probes.probe("tcp_probe"), hot ? "C tcp busy-poll" : "C tcp blocking",
                    hot ? "spin" : "block", List.of());
        }
        if (transport.startsWith("fabric:")) {
            String provider = transport.substring("fabric:".length());
            return new CReference(probes.probe("fi_probe"), "C libfabric " + provider + (hot ? " poll" : " wait"),
                    hot ? "spin" : "wait", List.of(provider));
        }
        return new CReference(null, "none", "", List.of());
    }

    /**
     * Runs one round of {@code iters} timed round trips after {@code warmup} untimed ones between
     * {@code cpuPing} and {@code cpuPong}.
     */
    ProbeOutput run(int bytes, int iters, int warmup, int cpuPing, int cpuPong, Duration timeout) {
        if (probe == null) {
            return new ProbeOutput.Skip("no C reference for this transport");
        }
        List<String> args = new java.util.ArrayList<>();
        args.add(mode);
        args.addAll(extraArgs);
        args.addAll(List.of(Integer.toString(bytes), Integer.toString(iters), Integer.toString(warmup),
                Integer.toString(cpuPing), Integer.toString(cpuPong)));
        return probe.run(args, timeout);
    }
}
