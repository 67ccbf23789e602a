package org.rfaas.transport.tcp;

import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.TransportProvider;

/** The {@code tcp} transport: NIO socket channels on any IP network. Addresses: {@code tcp://host:port}. */
public final class TcpTransportProvider implements TransportProvider {

    /** Called by {@link java.util.ServiceLoader}. */
    public TcpTransportProvider() {
    }

    @Override
    public String scheme() {
        return "tcp";
    }

    @Override
    public Transport open(String variant) {
        if (!variant.isEmpty()) {
            throw new TransportException("the tcp transport has no variants, got 'tcp:" + variant + "'; use 'tcp'");
        }
        return new TcpTransport(TcpContext.fromSystemProperties());
    }
}
