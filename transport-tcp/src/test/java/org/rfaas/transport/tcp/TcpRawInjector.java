package org.rfaas.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Random;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.testkit.Corruption;
import org.rfaas.transport.testkit.RawInjector;

/**
 * Speaks the tcp wire format by hand over a plain blocking {@link Socket}, independently of
 * {@link Frame}, so the tests also pin the documented byte layout.
 */
final class TcpRawInjector implements RawInjector {

    /** Builds one 32-byte header exactly as docs/transport.md describes it. */
    static byte[] header(int magic, int version, int type, int length, int index, int immediate, long value) {
        return header(magic, version, type, 0, length, index, immediate, value);
    }

    /** A header with explicit flags (which must be 0 on the wire). */
    static byte[] header(int magic, int version, int type, int flags, int length, int index, int immediate, long value) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) magic).put((byte) version).put((byte) type).putShort((short) flags).putShort((short) 0);
        b.putInt(length).putInt(index).putInt(immediate).putInt(0).putLong(value);
        return b.array();
    }

    static byte[] handshake(ConnectionSpec spec) {
        return header(0x4652, 1, 1, 0, spec.slots(), spec.slotSize(), spec.counters());
    }

    @Override
    public RawPeer inject(String listenerAddress, ConnectionSpec listenerSpec, Corruption corruption, long seed)
            throws IOException {
        InetSocketAddress target = TcpAddress.parse(listenerAddress);
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(target, 10_000);
        Random random = new Random(seed);
        var out = s.getOutputStream();
        ConnectionSpec mine = new ConnectionSpec(1, 64, 0);
        if (!corruption.duringHandshake()) {
            // The listener answers only once the test calls accept(), so do not wait for it:
            // the bad frame follows the handshake in the same stream.
            out.write(handshake(mine));
        }
        switch (corruption) {
            case HANDSHAKE_WRONG_MAGIC -> out.write(header(0xdead, 1, 1, 0, 1, 64, 0));
            case HANDSHAKE_TRUNCATED -> {
                out.write(handshake(mine), 0, 13);
                s.shutdownOutput();
            }
            case HANDSHAKE_BAD_SPEC -> out.write(header(0x4652, 1, 1, 0, 0, 64, 0));
            case HANDSHAKE_GARBAGE, FRAME_GARBAGE -> {
                byte[] junk = new byte[256];
                random.nextBytes(junk);
                out.write(junk);
            }
            case FRAME_WRONG_MAGIC -> {
                out.write(header(0x4653, 1, 2, 8, 0, 0, 0));
                out.write(new byte[8]);
            }
            case FRAME_TRUNCATED -> {
                out.write(header(0x4652, 1, 2, 64, 0, 0, 0));
                out.write(new byte[10]);
                s.shutdownOutput();
            }
            case FRAME_OVERSIZED -> out.write(header(0x4652, 1, 2, listenerSpec.slotSize() + 8, 0, 0, 0));
            case FRAME_BAD_SLOT -> out.write(header(0x4652, 1, 2, 8, listenerSpec.slots(), 0, 0));
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
                        continue; // still open; keep waiting until the deadline
                    } catch (IOException e) {
                        return true; // reset: closed as well
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
