package org.rfaas.demo.support;

/**
 * Where a server of a measurement listens on a transport: the loopback, or the address of the
 * server's host when {@link ServerPlacement} puts servers on another host of a namespace cluster.
 */
public final class LocalAddress {
    private LocalAddress() {
    }

    /**
     * The listen address for {@code transport}: a fresh shm directory for {@code shm}, otherwise
     * a free port on the loopback interface (e.g. {@code tcp://127.0.0.1:0}) or on
     * {@link ServerPlacement#host()}.
     */
    public static String of(String transport) {
        return transport.equals("shm") ? "shm:" : transport + "://" + ServerPlacement.host() + ":0";
    }
}
