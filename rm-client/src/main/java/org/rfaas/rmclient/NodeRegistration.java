package org.rfaas.rmclient;

/**
 * An executor node as announced by its executor manager (register) or by a batch system (add).
 *
 * @param name unique node name (letters, digits, {@code - _ . @ :})
 * @param address where clients reach the executor manager, in the form its transport expects
 *     (a host name or IP for tcp, a directory for shm)
 * @param port the executor manager's port, or 0 when {@code address} is complete by itself
 * @param transport the transport provider the executor manager listens on (shm, tcp, fabric)
 * @param cores cores the node lends to rFaaS
 * @param memoryMiB memory the node lends to rFaaS, in MiB
 */
public record NodeRegistration(String name, String address, int port, String transport, int cores, long memoryMiB) {
    public NodeRegistration {
        Checks.name("node name", name);
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("address is missing");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        Checks.name("transport", transport);
        Checks.positive("cores", cores);
        Checks.positive("memoryMiB", memoryMiB);
    }
}
