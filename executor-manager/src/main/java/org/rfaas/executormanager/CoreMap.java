package org.rfaas.executormanager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which host CPUs each lease's executor runs on: a lease of n cores gets the n least-used CPUs of
 * those this manager may use. A node may offer more cores than the host has (tests, oversubscribed
 * nodes); then CPUs are shared, evenly. Guarded by its own lock (control plane only).
 */
final class CoreMap {
    private final int[] cpus;
    private final int[] users;

    CoreMap(int[] cpus) {
        if (cpus.length == 0) {
            throw new IllegalArgumentException("no CPUs");
        }
        this.cpus = cpus.clone();
        this.users = new int[cpus.length];
    }

    /** The CPUs this process may run on ({@code Cpus_allowed_list}), else 0..n-1. */
    static CoreMap ofThisProcess() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return new CoreMap(parseList(line.substring(line.indexOf(':') + 1).strip()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // Fall back to the count the JVM sees.
        }
        int n = Runtime.getRuntime().availableProcessors();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        return new CoreMap(all);
    }

    /** Parses a kernel CPU list such as {@code 0-3,6,8-9}. */
    static int[] parseList(String list) {
        List<Integer> out = new ArrayList<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt((dash < 0 ? part : part.substring(0, dash)).strip());
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).strip());
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The {@code n} least-used CPUs (distinct while n does not exceed the host's), now used once more. */
    synchronized int[] take(int n) {
        int count = Math.min(n, cpus.length);
        int[] chosen = new int[count];
        boolean[] taken = new boolean[cpus.length];
        for (int k = 0; k < count; k++) {
            int best = -1;
            for (int i = 0; i < cpus.length; i++) {
                if (!taken[i] && (best < 0 || users[i] < users[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            users[best]++;
            chosen[k] = cpus[best];
        }
        java.util.Arrays.sort(chosen);
        return chosen;
    }

    /** Gives back CPUs from {@link #take}. */
    synchronized void release(int[] taken) {
        for (int c : taken) {
            for (int i = 0; i < cpus.length; i++) {
                if (cpus[i] == c && users[i] > 0) {
                    users[i]--;
                    break;
                }
            }
        }
    }
}
