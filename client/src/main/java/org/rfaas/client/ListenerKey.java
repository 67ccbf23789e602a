package org.rfaas.client;

import org.rfaas.transport.ConnectionSpec;

/**
 * What a client's kept worker listener is reused for: the same listen address and connection
 * spec. Its equals and hashCode are written out (see {@link ConnectionSpec#equals}): the record's
 * generated ones bootstrapped at the first allocation that found a kept listener, 3-4 ms of class
 * generation.
 */
record ListenerKey(String address, ConnectionSpec spec) {
    @Override
    public boolean equals(Object o) {
        return o instanceof ListenerKey k && k.address.equals(address) && k.spec.equals(spec);
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 + spec.hashCode();
    }
}
