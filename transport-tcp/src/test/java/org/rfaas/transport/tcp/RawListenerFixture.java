package org.rfaas.transport.tcp;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;

/**
 * A tcp listener on loopback (handshake timeout 500 ms, fetch-and-add timeout 5 s, default liveness)
 * for tests that talk to it from a plain socket, byte by byte.
 */
abstract class RawListenerFixture {
    static final int MAGIC = 0x4652;
    /** What the raw peer announces in its handshake. */
    static final ConnectionSpec RAW_SPEC = new ConnectionSpec(1, 64, 0);

    TcpTransport transport;
    Listener listener;

    /** What the listener registers. */
    abstract ConnectionSpec listenerSpec();

    @BeforeEach
    void listen() {
        transport = new TcpTransport(new TcpContext(Duration.ofMillis(500), Duration.ofSeconds(5)));
        listener = transport.listen("tcp://127.0.0.1:0", listenerSpec());
    }

    @AfterEach
    void close() {
        listener.close();
        transport.close();
    }

    /** A blocking socket connected to the listener, no handshake sent yet. */
    Socket rawConnect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.connect(TcpAddress.parse(listener.address()), 10_000);
        return s;
    }
}
