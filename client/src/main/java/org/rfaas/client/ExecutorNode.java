package org.rfaas.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One executor manager in the executors database.
 *
 * @param name the node's name
 * @param address the manager's listen address, e.g. {@code tcp://127.0.0.1:7000}
 * @param cores cores it offers
 * @param memoryMiB memory it offers
 */
public record ExecutorNode(String name, String address, int cores, long memoryMiB) {
    @JsonCreator
    public ExecutorNode(@JsonProperty("name") String name, @JsonProperty("address") String address,
            @JsonProperty("cores") int cores, @JsonProperty("memoryMiB") long memoryMiB) {
        this.name = Objects.requireNonNull(name, "executor node without a name");
        this.address = Objects.requireNonNull(address, "executor node " + name + " without an address");
        if (cores < 1 || memoryMiB < 1) {
            throw new IllegalArgumentException("executor node " + name + " needs positive cores and memoryMiB");
        }
        this.cores = cores;
        this.memoryMiB = memoryMiB;
    }
}
