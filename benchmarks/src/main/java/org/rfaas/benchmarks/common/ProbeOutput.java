package org.rfaas.benchmarks.common;

import org.rfaas.demo.support.LatencyStats;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a C reference probe printed: one {@code RESULT} line with its round-trip statistics, or a
 * {@code SKIP} line with the reason the probe cannot run here.
 *
 * <pre>
 * RESULT &lt;label&gt; payload=&lt;bytes&gt; n=&lt;iters&gt; rtt_ns min=&lt;n&gt; median=&lt;n&gt; mean=&lt;n&gt; p99=&lt;n&gt; max=&lt;n&gt;
 * SKIP &lt;reason&gt;
 * </pre>
 *
 * Extra {@code key=value} fields after {@code max} (for example {@code p99.9=}) are ignored, so
 * probes may print more than this class reads.
 */
public sealed interface ProbeOutput {

    /** A measurement: {@code label}, payload bytes, and the round-trip statistics in ns. */
    record Result(String label, long payload, LatencyStats rtt) implements ProbeOutput {
    }

    /** The probe declined to run here; {@code reason} says why. */
    record Skip(String reason) implements ProbeOutput {
    }

    /**
     * Parses the last {@code RESULT} or {@code SKIP} line of a probe's stdout.
     *
     * @throws IllegalArgumentException when there is none, or a {@code RESULT} line lacks a field
     */
    static ProbeOutput parse(List<String> stdout) {
        for (int i = stdout.size() - 1; i >= 0; i--) {
            String line = stdout.get(i).strip();
            if (line.startsWith("SKIP")) {
                String reason = line.substring(4).strip();
                return new Skip(reason.isEmpty() ? "(no reason given)" : reason);
            }
            if (line.startsWith("RESULT ")) {
                return parseResult(line);
            }
        }
        throw new IllegalArgumentException("probe printed no RESULT or SKIP line; output was: " + stdout);
    }

    /** Parses one {@code RESULT} line. */
    static Result parseResult(String line) {
        String[] tokens = line.strip().split("\\s+");
        if (tokens.length < 3 || !tokens[0].equals("RESULT")) {
            throw new IllegalArgumentException("not a RESULT line: " + line);
        }
        // the label may contain spaces (e.g. "shm cpus=0,1"): it ends at the payload= token
        StringBuilder label = new StringBuilder(tokens[1]);
        int i = 2;
        while (i < tokens.length && !tokens[i].startsWith("payload=")) {
            label.append(' ').append(tokens[i++]);
        }
        Map<String, String> fields = new HashMap<>();
        for (; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            if (eq > 0) {
                fields.putIfAbsent(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
            }
        }
        long payload = number(fields, "payload", line);
        LatencyStats rtt = new LatencyStats(number(fields, "n", line), number(fields, "min", line),
                number(fields, "median", line), number(fields, "mean", line), number(fields, "p99", line),
                number(fields, "max", line));
        return new Result(label.toString(), payload, rtt);
    }

    private static long number(Map<String, String> fields, String key, String line) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalArgumentException("RESULT line lacks '" + key + "=': " + line);
        }
        try {
            return Math.round(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("RESULT line has a non-numeric '" + key + "=" + v + "': " + line);
        }
    }
}
