package org.rfaas.transport.fabric;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import org.rfaas.transport.PeerFailedException;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.fabric.FabricCapabilities.DataMode;

/**
 * The two halves of a fabric connection's handshake on its out-of-band socket: this side's
 * {@link Hello} (or WELCOME) describing its opened endpoint, and what the peer's says, checked and
 * turned into a {@link PeerEndpoint} whose endpoints are in our address vector.
 */
final class FabricHandshake {
    private FabricHandshake() {
    }

    /** Sends this side's HELLO or WELCOME ({@code type}) for the opened endpoint {@code e}. */
    static void send(Socket oob, FabricEndpoint e, byte type) {
        FabricCapabilities caps = e.caps;
        try {
            int flags = (caps.mode() == DataMode.RMA ? Hello.FLAG_RMA : 0)
                    | (caps.nativeFetchAdd() ? Hello.FLAG_NATIVE_ATOMICS : 0) | Hello.FLAG_DOORBELL
                    | (e.hasWakeEndpoint() ? Hello.FLAG_WAKE_ENDPOINT : 0);
            long base = (caps.mrMode() & Fi.FI_MR_VIRT_ADDR) != 0 ? e.region.address() : 0;
            byte[] out = new byte[Hello.MAX_LENGTH];
            int n = Hello.encode(out, type, e.local, flags, e.stride, base, e.regionKey, e.counterOffset, e.names(),
                    caps.providerFound());
            OutputStream os = oob.getOutputStream();
            os.write(out, 0, n);
            os.flush();
        } catch (IOException ex) {
            throw new PeerFailedException("fabric handshake with " + oob.getRemoteSocketAddress() + " failed: " + ex, ex);
        } catch (Throwable t) {
            throw Fi.rethrow(t);
        }
    }

    /** Checks the peer's HELLO (or WELCOME) and adds its endpoints to {@code e}'s AV. */
    static PeerEndpoint peer(FabricEndpoint e, byte[] bytes) {
        FabricCapabilities caps = e.caps;
        Hello h = new Hello().wrap(MemorySegment.ofArray(bytes));
        h.validateHeader(bytes[3]);
        String prov = h.provider();
        if (!prov.equals(caps.providerFound())) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE,
                    "peer runs libfabric provider '" + prov + "', this side '" + caps.providerFound() + "'");
        }
        boolean rma = (h.flags() & Hello.FLAG_RMA) != 0;
        boolean nativeAtomics = (h.flags() & Hello.FLAG_NATIVE_ATOMICS) != 0;
        boolean ringsDoorbell = (h.flags() & Hello.FLAG_DOORBELL) != 0;
        if (rma && e.fnWritedata == null) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "peer expects RMA writes; this endpoint has no FI_RMA");
        }
        // Without FI_ATOMIC here we cannot reach the peer's counters; it also serves frames, so emulate.
        nativeAtomics &= e.fnFetchAtomic != null;
        byte[] name = h.name();
        boolean useWakeEndpoint = false;
        long wakeAddr = 0;
        if ((h.flags() & Hello.FLAG_WAKE_ENDPOINT) != 0) {
            byte[] wakeName = java.util.Arrays.copyOfRange(name, name.length / 2, name.length);
            name = java.util.Arrays.copyOf(name, name.length / 2);
            useWakeEndpoint = ringsDoorbell && e.hasWakeEndpoint();
            if (useWakeEndpoint) {
                wakeAddr = e.insertAddress(wakeName);
            }
        }
        return new PeerEndpoint(h.spec(), e.insertAddress(name), rma, nativeAtomics, h.rmaBase(), h.rmaKey(),
                h.slotStride(), h.counterOffset(), ringsDoorbell, useWakeEndpoint, wakeAddr);
    }
}
