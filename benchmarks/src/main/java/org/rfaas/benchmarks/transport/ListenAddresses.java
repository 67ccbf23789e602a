package org.rfaas.benchmarks.transport;

import java.nio.file.Path;

/** Where the ping listens for each transport: loopback, a free port or a fresh path. */
final class ListenAddresses {
    private ListenAddresses() {
    }

    /** A listen address for {@code transport} that picks a free port / path by itself. */
    static String forTransport(String transport) {
        return switch (transport) {
            case "tcp" -> "tcp://127.0.0.1:0";
            case "shm" -> "shm:" + Path.of(System.getProperty("java.io.tmpdir"), "rfaas-bench-" + ProcessHandle.current().pid()
                    + "-" + System.nanoTime() + ".sock");
            default -> transport.startsWith("fabric:") ? transport + "://127.0.0.1:0" : transport + "://127.0.0.1:0";
        };
    }
}
