package org.rfaas.client.rm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a program finds its tenant's API key: a file (kept out of command lines, which every user
 * of the machine can read with {@code ps}), or the environment variable {@value #ENV}.
 */
public final class TenantKey {
    /** The environment variable holding the API key when no file is named. */
    public static final String ENV = "RFAAS_API_KEY";

    private TenantKey() {
    }

    /**
     * The key in {@code keyFile} (whitespace around it ignored) or, when {@code keyFile} is null,
     * in {@value #ENV}.
     *
     * @throws IllegalArgumentException when neither gives a key
     */
    public static String resolve(Path keyFile) {
        if (keyFile != null) {
            try {
                String k = Files.readString(keyFile).strip();
                if (k.isEmpty()) {
                    throw new IllegalArgumentException("the API key file " + keyFile + " is empty");
                }
                return k;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the API key file " + keyFile + ": " + e.getMessage(), e);
            }
        }
        String k = System.getenv(ENV);
        if (k == null || k.isBlank()) {
            throw new IllegalArgumentException("leases from a resource manager need the tenant's API key (rfaas tenants add"
                    + " prints it): give --api-key-file FILE or set " + ENV);
        }
        return k.strip();
    }
}
