package org.rfaas.executormanager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster secret of a manager whose leases come from a resource manager: the config's, or, when
 * the config has none, one generated on the first start and stored owner-only in the work directory
 * ({@value #FILE_NAME}), read again on later starts. A line on standard output says where it is:
 * the resource manager must be given the same secret. A manager never runs resource-manager leases
 * without one (and its executors, in the sandbox, never see the file).
 */
final class ClusterSecret {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSecret.class);
    static final String FILE_NAME = "cluster-secret";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private ClusterSecret() {
    }

    /** {@code config}, with the stored or a new secret when it needs one and names none. */
    static ExecutorManagerConfig ensure(ExecutorManagerConfig config) {
        if (config.clusterSecret() != null || config.resourceManager() == null) {
            return config;
        }
        Path file = config.workDir().resolve(FILE_NAME);
        try {
            Files.createDirectories(config.workDir());
            String secret;
            if (Files.exists(file)) {
                if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                    throw new IllegalStateException("the stored cluster secret " + file + " is readable by others "
                            + Files.getPosixFilePermissions(file) + "; chmod 600 it or delete it");
                }
                secret = Files.readString(file, StandardCharsets.UTF_8).strip();
                announce("executor manager " + config.node() + ": using the cluster secret stored in " + file);
            } else {
                byte[] bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
                secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                } catch (FileAlreadyExistsException raced) {
                    return ensure(config); // another manager of this work directory made it first
                }
                Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
                announce("executor manager " + config.node() + ": no clusterSecret configured; generated one and "
                        + "stored it in " + file + " (mode 600); give the resource manager the same secret");
            }
            if (secret.getBytes(StandardCharsets.UTF_8).length < 16) {
                throw new IllegalStateException("the stored cluster secret " + file + " is shorter than 16 bytes");
            }
            return config.withClusterSecret(secret);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store a cluster secret in " + file + ": " + e.getMessage(), e);
        }
    }

    private static void announce(String line) {
        System.out.println(line);
        LOG.info(line);
    }
}
