package org.rfaas.transport.shm;

import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.TransportProvider;

/** Registers the {@code shm} transport: processes on one node, through shared memory. */
public final class ShmTransportProvider implements TransportProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public ShmTransportProvider() {
    }

    @Override
    public String scheme() {
        return "shm";
    }

    @Override
    public Transport open(String variant) {
        if (!variant.isEmpty()) {
            throw new TransportException("the shm transport has no variants, got 'shm:" + variant + "'; use 'shm'");
        }
        Futex.checkAvailable();
        return new ShmTransport();
    }
}
