package org.rfaas.transport.fabric;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Wire;
import org.rfaas.transport.testkit.Corruption;
import org.rfaas.transport.testkit.RawInjector;

/**
 * Misbehaves on the fabric transport's out-of-band handshake socket. Data writes travel through
 * libfabric, not through a socket a test can write garbage into, so the FRAME_* corruptions are
 * skipped here (the receive path still validates slot and length of every completion).
 */
final class FabricRawInjector implements RawInjector {
    private final String provider;

    FabricRawInjector(String provider) {
        this.provider = provider;
    }

    @Override
    public RawPeer inject(String listenerAddress, ConnectionSpec listenerSpec, Corruption corruption, long seed)
            throws IOException {
        if (!corruption.duringHandshake()) {
            Assumptions.abort("fabric data writes go through libfabric; a raw socket cannot inject " + corruption);
        }
        String rest = listenerAddress.substring(listenerAddress.indexOf("://") + 3);
        int colon = rest.lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(rest.substring(0, colon), Integer.parseInt(rest.substring(colon + 1)));
        byte[] hello = new byte[Hello.MAX_LENGTH];
        int n = Hello.encode(hello, Hello.TYPE_HELLO, new ConnectionSpec(1, 64, 0), Hello.FLAG_RMA, 128, 0, 0, 128,
                new byte[16], provider);
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(target, 10_000);
        OutputStream out = s.getOutputStream();
        switch (corruption) {
            case HANDSHAKE_WRONG_MAGIC -> {
                MemorySegment.ofArray(hello).set(Wire.SHORT, 0, (short) 0xdead);
                out.write(hello, 0, n);
            }
            case HANDSHAKE_TRUNCATED -> {
                out.write(hello, 0, 13);
                s.shutdownOutput();
            }
            case HANDSHAKE_BAD_SPEC -> {
                MemorySegment.ofArray(hello).set(Wire.INT, 8, 0); // zero slots
                out.write(hello, 0, n);
            }
            case HANDSHAKE_GARBAGE -> {
                byte[] junk = new byte[256];
                new Random(seed).nextBytes(junk);
                out.write(junk);
            }
            default -> throw new IllegalStateException("unhandled " + corruption);
        }
        out.flush();
        return new RawPeer() {
            @Override
            public boolean awaitClosedByListener(Duration timeout) throws IOException {
                long deadline = System.nanoTime() + timeout.toNanos();
                InputStream in = s.getInputStream();
                byte[] sink = new byte[4096];
                while (System.nanoTime() < deadline) {
                    s.setSoTimeout(200);
                    try {
                        if (in.read(sink) < 0) {
                            return true;
                        }
                    } catch (SocketTimeoutException e) {
                        continue;
                    } catch (IOException e) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public void close() throws IOException {
                s.close();
            }
        };
    }
}
