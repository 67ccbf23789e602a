package org.rfaas.resourcemanager.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written for the tests: it
 * rejects what Prometheus would reject (bad names, bad escapes, unparsable values, samples of an
 * undeclared or wrong family, duplicate series, a TYPE after its samples, a histogram whose
 * buckets are not cumulative or whose +Inf bucket differs from its count, a missing final newline).
 */
final class PrometheusText {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: metric name, labels (sorted by name), value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    /** Parses {@code text} or throws {@link IllegalArgumentException} naming the line and the fault. */
    static PrometheusText parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition must end with a newline");
        }
        PrometheusText p = new PrometheusText();
        Set<String> sampled = new HashSet<>();
        Set<String> helped = new HashSet<>();
        Set<String> series = new HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + " '" + line + "': ";
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[1].equals("TYPE")) {
                    String name = name(parts[2], where);
                    if (parts.length != 4 || !TYPES.contains(parts[3])) {
                        throw new IllegalArgumentException(where + "bad TYPE");
                    }
                    if (p.types.containsKey(name) || sampled.contains(name)) {
                        throw new IllegalArgumentException(where + "TYPE repeated or after the family's samples");
                    }
                    p.types.put(name, parts[3]);
                } else if (parts.length >= 3 && parts[1].equals("HELP")) {
                    if (!helped.add(name(parts[2], where))) {
                        throw new IllegalArgumentException(where + "HELP repeated");
                    }
                }
                continue;
            }
            Sample s = sample(line, where);
            String family = p.family(s.name());
            if (family == null) {
                throw new IllegalArgumentException(where + "sample of no declared family");
            }
            sampled.add(family);
            if (!series.add(s.name() + s.labels())) {
                throw new IllegalArgumentException(where + "duplicate series");
            }
            p.samples.add(s);
        }
        p.checkHistograms();
        return p;
    }

    /** The family a sample name belongs to, by the suffixes its TYPE allows. */
    private String family(String sample) {
        if (types.containsKey(sample) && !types.get(sample).equals("histogram") && !types.get(sample).equals("summary")) {
            return sample;
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                String t = types.get(base);
                if ("histogram".equals(t) || ("summary".equals(t) && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return null;
    }

    private static String name(String s, String where) {
        if (!METRIC_NAME.matcher(s).matches()) {
            throw new IllegalArgumentException(where + "bad metric name '" + s + "'");
        }
        return s;
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = name(line.substring(0, i), where);
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                if (eq < 0) {
                    throw new IllegalArgumentException(where + "label without '='");
                }
                String label = line.substring(i, eq);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException(where + "bad label name '" + label + "'");
                }
                if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException(where + "label value not quoted");
                }
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; ; j++) {
                    if (j >= line.length()) {
                        throw new IllegalArgumentException(where + "unterminated label value");
                    }
                    char c = line.charAt(j);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char e = line.charAt(++j);
                        v.append(switch (e) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new IllegalArgumentException(where + "bad escape \\" + e);
                        });
                    } else {
                        v.append(c);
                    }
                }
                if (labels.put(label, v.toString()) != null) {
                    throw new IllegalArgumentException(where + "label '" + label + "' repeated");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                } else if (line.charAt(i) != '}') {
                    throw new IllegalArgumentException(where + "expected ',' or '}' after a label");
                }
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException(where + "expected a space before the value");
        }
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length < 1 || rest.length > 2) {
            throw new IllegalArgumentException(where + "expected a value and an optional timestamp");
        }
        if (rest.length == 2) {
            try {
                Long.parseLong(rest[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "bad timestamp");
            }
        }
        return new Sample(name, labels, value(rest[0], where));
    }

    private static double value(String s, String where) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                if (!s.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
                    throw new IllegalArgumentException(where + "bad value '" + s + "'");
                }
                yield Double.parseDouble(s);
            }
        };
    }

    private void checkHistograms() {
        types.forEach((family, type) -> {
            if (!type.equals("histogram")) {
                return;
            }
            Map<Map<String, String>, List<double[]>> buckets = new HashMap<>();
            for (Sample s : samples) {
                if (s.name().equals(family + "_bucket")) {
                    Map<String, String> rest = new TreeMap<>(s.labels());
                    String le = rest.remove("le");
                    if (le == null) {
                        throw new IllegalArgumentException(family + ": bucket without 'le'");
                    }
                    buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(new double[] {value(le, family + ": "), s.value()});
                }
            }
            buckets.forEach((labels, list) -> {
                list.sort((a, b) -> Double.compare(a[0], b[0]));
                for (int k = 1; k < list.size(); k++) {
                    if (list.get(k)[1] < list.get(k - 1)[1]) {
                        throw new IllegalArgumentException(family + labels + ": buckets are not cumulative");
                    }
                }
                double[] last = list.getLast();
                if (last[0] != Double.POSITIVE_INFINITY || last[1] != value(family + "_count", labels)) {
                    throw new IllegalArgumentException(family + labels + ": no +Inf bucket equal to _count");
                }
            });
        });
    }

    /** The declared TYPE of a family, or null. */
    String type(String family) {
        return types.get(family);
    }

    /** The value of the one sample {@code name} with exactly {@code labels}; fails if absent. */
    double value(String name, Map<String, String> labels) {
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(new TreeMap<>(labels))) {
                return s.value();
            }
        }
        throw new AssertionError("no sample " + name + labels);
    }

    /** {@link #value(String, Map)} with labels given as name, value, name, value, ... */
    double value(String name, String... labels) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return value(name, m);
    }

    /** Every sample named {@code name}. */
    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }
}
