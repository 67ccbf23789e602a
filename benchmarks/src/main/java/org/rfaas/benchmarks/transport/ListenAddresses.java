package org.rfaas.benchmarks.transport;

/** Where the ping listens for each transport: loopback with a free port, or a fresh shm path. */
final class ListenAddresses {
    private ListenAddresses() {
    }

    /** A listen address for {@code transport} that makes the provider pick a free port / path. */
    static String forTransport(String transport) {
        if (transport.equals("shm")) {
            return "shm:"; // the shm provider picks a fresh socket path in a private directory
        }
        return transport + "://127.0.0.1:0";
    }
}
