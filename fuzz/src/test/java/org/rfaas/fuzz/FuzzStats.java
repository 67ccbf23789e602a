package org.rfaas.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts, per decoder, the inputs a fuzz test handed it and how many it accepted, and writes the
 * counts to {@code target/fuzz-stats/<test>.tsv} when the fuzzing JVM exits (libFuzzer prints only
 * the total). {@code ./rfaas fuzz} prints these files. The fuzzing loop is single-threaded.
 */
public final class FuzzStats {
    private final Map<String, long[]> counts = new TreeMap<>();

    private FuzzStats(String name) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> write(name)));
    }

    /** Stats for the fuzz test named {@code name}, written at exit. */
    public static FuzzStats of(String name) {
        return new FuzzStats(name);
    }

    /** One input reached {@code decoder}; {@code accepted} when it decoded without a typed rejection. */
    public void count(String decoder, boolean accepted) {
        long[] c = counts.computeIfAbsent(decoder, d -> new long[2]);
        c[0]++;
        if (accepted) {
            c[1]++;
        }
    }

    private synchronized void write(String name) {
        if (counts.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder("decoder\texecutions\taccepted\n");
        counts.forEach((d, c) -> out.append(d).append('\t').append(c[0]).append('\t').append(c[1]).append('\n'));
        try {
            Path dir = Path.of("target", "fuzz-stats");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".tsv"), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
