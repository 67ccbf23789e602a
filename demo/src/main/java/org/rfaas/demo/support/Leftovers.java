package org.rfaas.demo.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a one-machine run may leave behind, checked at its end: processes started from this JVM and
 * {@code rfaas-*} entries in the temporary directory. Both wait up to 5 s, since a closing child or
 * listener removes itself a moment after it was told to.
 */
public final class Leftovers {
    private static final long PATIENCE_NANOS = 5_000_000_000L;

    private Leftovers() {
    }

    /** Live descendants of this JVM. */
    public static List<ProcessHandle> processes() {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList();
            if (left.isEmpty()) {
                return left;
            }
            LockSupport.parkNanos(100_000_000L);
        } while (System.nanoTime() < deadline);
        return left;
    }

    /** The {@code rfaas-*} entries of {@code tmp} that were not there before. */
    public static Set<String> inTmp(Path tmp, Set<String> before) {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        Set<String> left;
        do {
            left = rfaasEntries(tmp);
            left.removeAll(before);
            if (left.isEmpty()) {
                return left;
            }
            LockSupport.parkNanos(100_000_000L);
        } while (System.nanoTime() < deadline);
        return left;
    }

    /** Names of the entries {@code rfaas-*} in {@code dir}. */
    public static Set<String> rfaasEntries(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("rfaas-"))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            return new TreeSet<>(Set.of("(cannot list " + dir + ": " + e.getMessage() + ")"));
        }
    }
}
