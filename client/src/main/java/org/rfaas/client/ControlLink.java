package org.rfaas.client;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Transport;

/**
 * A control connection to one executor manager with its send buffers, which outlive one lease: a
 * client keeps it after a lease it released has ended and sends its next allocation request to
 * that manager on it, so that the next cold start skips the connection's handshake (1.5-3 ms over
 * shm here). The buffers come with the connection, so that reusing it allocates nothing more.
 */
final class ControlLink {
    /** Control-connection receive slots: acks and responses in slot 0, lease end in slot 1. */
    static final ConnectionSpec SPEC = new ConnectionSpec(2, 8192, 0);

    final String managerAddress;
    final Connection connection;
    /** Requests and package chunks. */
    final MemorySegment requestBuffer;
    /** Release requests. */
    final MemorySegment releaseBuffer;

    private ControlLink(String managerAddress, Connection connection) {
        this.managerAddress = managerAddress;
        this.connection = connection;
        this.requestBuffer = connection.allocateBuffer(Math.max(connection.peerSpec().slotSize(), 16384));
        this.releaseBuffer = connection.allocateBuffer(64);
    }

    /** Connects to the manager at {@code managerAddress}. */
    static ControlLink connect(Transport transport, String managerAddress, Duration timeout) {
        Connection c = transport.connect(managerAddress, SPEC, timeout);
        try {
            return new ControlLink(managerAddress, c);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    void close() {
        connection.close();
    }
}
