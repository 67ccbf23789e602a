package org.rfaas.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Which local address the operating system would use to reach a peer. Used where a process must
 * tell a peer an address that routes back to it (a client's listen address for its workers, an
 * executor manager bound to 0.0.0.0 advertising itself) without any per-host configuration.
 */
public final class Routes {
    private Routes() {
    }

    /**
     * The source address of the route to {@code target}: "connecting" a UDP socket only selects the
     * route and its source address, no packet is sent.
     *
     * @return empty when no route leads there
     * @throws IOException when the socket cannot be opened
     */
    public static Optional<InetAddress> sourceAddressTowards(InetAddress target, int port) throws IOException {
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(target, port));
            InetAddress local = probe.getLocalAddress();
            return local == null || local.isAnyLocalAddress() ? Optional.empty() : Optional.of(local);
        } catch (UncheckedIOException e) {
            // DatagramSocket.connect reports an unreachable network unchecked
            throw e.getCause();
        }
    }
}
