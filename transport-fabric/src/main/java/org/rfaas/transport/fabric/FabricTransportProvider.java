package org.rfaas.transport.fabric;

import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportProvider;

/** Registers the {@code fabric} scheme: {@code fabric:tcp}, {@code fabric:shm}, {@code fabric:verbs}, … */
public final class FabricTransportProvider implements TransportProvider {

    /** Public for {@link java.util.ServiceLoader}. */
    public FabricTransportProvider() {
    }

    @Override
    public String scheme() {
        return "fabric";
    }

    @Override
    public Transport open(String variant) {
        return new FabricTransport(variant, FabricContext.fromSystemProperties());
    }
}
