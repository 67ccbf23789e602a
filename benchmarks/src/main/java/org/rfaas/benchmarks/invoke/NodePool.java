package org.rfaas.benchmarks.invoke;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@link LocalNode} per transport for a whole benchmark run, started on first use: starting an
 * executor manager JVM costs seconds on a busy machine, and every rFaaS measurement of a provider
 * can share it (each still gets its own lease and executor).
 */
public final class NodePool implements AutoCloseable {
    private final Map<String, LocalNode> nodes = new LinkedHashMap<>();

    /** The node of {@code transport}, started now if it is not running yet. */
    public synchronized LocalNode node(String transport) {
        LocalNode n = nodes.get(transport);
        if (n == null) {
            try {
                n = LocalNode.start(transport, Files.createTempDirectory("rfaas-bench-node-"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start an executor manager on " + transport + ": " + e.getMessage(), e);
            }
            nodes.put(transport, n);
        }
        return n;
    }

    /** The node of {@code transport} without spare executors (every lease forks its JVM), started now if needed. */
    public synchronized LocalNode forkingNode(String transport) {
        String key = transport + " forked";
        LocalNode n = nodes.get(key);
        if (n == null) {
            try {
                n = LocalNode.start(transport, Files.createTempDirectory("rfaas-bench-node-"), false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start an executor manager on " + transport + ": " + e.getMessage(), e);
            }
            nodes.put(key, n);
        }
        return n;
    }

    /** Stops every node. */
    @Override
    public synchronized void close() {
        nodes.values().forEach(LocalNode::close);
        nodes.clear();
    }
}
