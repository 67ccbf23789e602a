package org.rfaas.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

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

    /**
     * Reads a database file: a JSON array of objects with exactly the fields of {@link ExecutorNode}.
     *
     * <p>Read with Jackson's streaming parser rather than its object mapper: the mapper's first use
     * in a JVM costs ~0.5 s of class loading here (70 ms for the parser), and a command-line
     * client pays it before its first call.
     *
     * @throws UncheckedIOException naming the file, when it cannot be read or is not such a list
     */
    public static ExecutorsDatabase load(Path file) {
        try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
            return new ExecutorsDatabase(readNodes(p));
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("cannot read executors database " + file + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        }
    }

    private static List<ExecutorNode> readNodes(JsonParser p) throws IOException {
        expect(p, p.nextToken(), JsonToken.START_ARRAY, "a list of executor nodes");
        List<ExecutorNode> nodes = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            expect(p, t, JsonToken.START_OBJECT, "an executor node object");
            String name = null;
            String address = null;
            int cores = 0;
            long memoryMiB = 0;
            for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
                expect(p, f, JsonToken.FIELD_NAME, "a field name");
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "name" -> name = text(p, v, field);
                    case "address" -> address = text(p, v, field);
                    case "cores" -> {
                        expect(p, v, JsonToken.VALUE_NUMBER_INT, "a whole number for cores");
                        cores = p.getIntValue();
                    }
                    case "memoryMiB" -> {
                        expect(p, v, JsonToken.VALUE_NUMBER_INT, "a whole number for memoryMiB");
                        memoryMiB = p.getLongValue();
                    }
                    default -> throw new JsonParseException(p, "unknown field '" + field
                            + "' (a node has name, address, cores and memoryMiB)");
                }
            }
            nodes.add(new ExecutorNode(name, address, cores, memoryMiB));
        }
        if (p.nextToken() != null) {
            throw new JsonParseException(p, "text after the list of executor nodes");
        }
        return nodes;
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException {
        expect(p, t, JsonToken.VALUE_STRING, "a string for " + field);
        return p.getText();
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken wanted, String what) throws IOException {
        if (got != wanted) {
            throw new JsonParseException(p, "expected " + what + ", found " + (got == null ? "the end" : got.name()));
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

    /**
     * The transports the nodes' addresses name, e.g. {@code [tcp, fabric:tcp]}, in order of first
     * use (an address that names none is left out: its allocation says what is wrong with it).
     */
    public List<String> transports() {
        Set<String> out = new LinkedHashSet<>();
        for (ExecutorNode n : nodes) {
            try {
                out.add(Transports.transportOf(n.address()));
            } catch (TransportException e) {
                // reported by the allocation that picks this node
            }
        }
        return List.copyOf(out);
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
