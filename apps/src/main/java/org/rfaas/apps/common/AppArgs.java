package org.rfaas.apps.common;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line shared by the applications: {@code --name value} pairs and bare flags.
 *
 * <p>Common options: {@code --executors FILE} or {@code --resource-manager URL [--tenant T]}
 * (where leases come from), {@code --offload F} (fraction 0..1 of each rank's work sent to its
 * executors), {@code --kernel java|native}, {@code --cores N} (cores leased per rank),
 * {@code --memory MiB}, {@code --hot-timeout MICROS}, {@code --check} (also compute everything
 * locally and compare bit for bit), {@code --out FILE} (rank 0 writes the result as raw
 * little-endian doubles).
 */
public final class AppArgs {
    private final Map<String, String> values = new HashMap<>();

    /** Parses {@code args}; a name followed by another name or nothing is a flag. */
    public AppArgs(String[] args, List<String> flags) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            if (flags.contains(name)) {
                values.put(name, "true");
            } else if (i + 1 < args.length) {
                values.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
        }
    }

    /** The value of {@code --name}, or {@code def}. */
    public String string(String name, String def) {
        return values.getOrDefault(name, def);
    }

    /** A numeric option. */
    public double number(String name, double def) {
        String v = values.get(name);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " wants a number, got '" + v + "'");
        }
    }

    /** An integer option. */
    public int integer(String name, int def) {
        double d = number(name, def);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + name + " wants an integer, got " + d);
        }
        return (int) d;
    }

    /** Whether the flag or option was given. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** {@code --offload}, checked to be in [0, 1]. */
    public double offload() {
        double f = number("offload", 0.5);
        if (!(f >= 0 && f <= 1)) {
            throw new IllegalArgumentException("--offload must be between 0 and 1, got " + f);
        }
        return f;
    }

    /** {@code --kernel}: {@code java} (default) or {@code native}. */
    public boolean nativeKernel() {
        String k = string("kernel", "java");
        if (!k.equals("java") && !k.equals("native")) {
            throw new IllegalArgumentException("--kernel is java or native, got '" + k + "'");
        }
        return k.equals("native");
    }
}
