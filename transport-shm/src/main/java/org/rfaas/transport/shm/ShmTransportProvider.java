package org.rfaas.transport.shm;

import java.util.concurrent.atomic.AtomicBoolean;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.TransportProvider;

/** Registers the {@code shm} transport: processes on one node, through shared memory. */
public final class ShmTransportProvider implements TransportProvider {
    /** Set once this JVM started linking the futex binding. */
    private static final AtomicBoolean FUTEX_LINKING = new AtomicBoolean();

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
        // The futex binding (an FFM link, 30-40 ms of a fresh JVM) is made on a thread of its own
        // while the caller goes on to its first connection, whose Unix socket starts the JDK's
        // SecureRandom (20-30 ms): the two overlap. Each connection checks it (ShmConnection).
        if (FUTEX_LINKING.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("rfaas-futex-link").start(Futex::initialise);
        }
        return new ShmTransport();
    }
}
