package org.rfaas.demo.support;

/** Where a server of this machine listens on a transport: never a routable address. */
public final class LocalAddress {
    private LocalAddress() {
    }

    /**
     * The listen address for {@code transport}: a fresh shm directory for {@code shm}, otherwise
     * a free port on the loopback interface (e.g. {@code tcp://127.0.0.1:0}).
     */
    public static String of(String transport) {
        return transport.equals("shm") ? "shm:" : transport + "://127.0.0.1:0";
    }
}
