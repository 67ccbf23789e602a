package org.rfaas.transport.shm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.ProtocolError;

/**
 * Every handshake message is encoded in native memory: the JIT compiles the memory accessors our
 * messages use with a profile of native segments only, and a heap segment at a lease's first
 * handshake made that compiled code deoptimise on the lease's core (journal, cold start).
 */
class ShmHandshakeNativeMemoryTest {
    @Test
    void everyMessageIsEncodedInNativeMemory() {
        ConnectionSpec spec = new ConnectionSpec(2, 64, 1);
        List<ByteBuffer> messages = List.of(ShmHandshake.hello(spec), ShmHandshake.welcome(spec, 4096, "/dev/shm/x"),
                ShmHandshake.welcome(spec, 4096, "/dev/shm/x", ShmHandshake.FLAG_SHARED_COUNTERS),
                ShmHandshake.counters(1, 4096, "/dev/shm/y"), ShmHandshake.mapped(),
                ShmHandshake.reject(ProtocolError.BAD_HANDSHAKE, "no"));
        for (ByteBuffer m : messages) {
            assertTrue(m.isDirect(), "a message in heap memory: " + m);
        }
    }
}
