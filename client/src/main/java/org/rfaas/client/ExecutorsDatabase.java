package org.rfaas.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The static executors database: a JSON list of executor managers, used when there is no resource
 * manager. Example:
 *
 * <pre>
 * [ {"name": "node0", "address": "tcp://127.0.0.1:7000", "cores": 2, "memoryMiB": 4096} ]
 * </pre>
 *
 * As a {@link LeaseSource} it grants unauthenticated leases (id 0, no token) on the first node
 * that offers enough cores and memory; the executor manager assigns the lease id.
 */
public final class ExecutorsDatabase implements LeaseSource {
    private final List<ExecutorNode> nodes;

    public ExecutorsDatabase(List<ExecutorNode> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("the executors database lists no executor");
        }
        this.nodes = List.copyOf(nodes);
    }

    /** Reads a database file. */
    public static ExecutorsDatabase load(Path file) {
        try {
            return new ExecutorsDatabase(new ObjectMapper().readValue(file.toFile(), new TypeReference<List<ExecutorNode>>() {
            }));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read executors database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code nodes} as a database file (for tools and tests). */
    public static void write(Path file, List<ExecutorNode> nodes) {
        try {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), nodes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write executors database " + file + ": " + e.getMessage(), e);
        }
    }

    public List<ExecutorNode> nodes() {
        return nodes;
    }

    @Override
    public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
        for (ExecutorNode n : nodes) {
            if (n.cores() >= cores && n.memoryMiB() >= memoryMiB) {
                return LeaseOffer.unauthenticated(n.name(), n.address());
            }
        }
        throw new AllocationRefusedException("no executor in the database offers " + cores + " cores and " + memoryMiB
                + " MiB (nodes: " + nodes + ")");
    }
}
