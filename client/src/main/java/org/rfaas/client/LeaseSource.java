package org.rfaas.client;

import java.time.Duration;

/**
 * Where leases come from: the static {@link ExecutorsDatabase}, or the resource manager (which
 * places the lease and signs a token the executor manager verifies).
 */
public interface LeaseSource {

    /**
     * Obtains a lease for {@code cores} and {@code memoryMiB}.
     *
     * @param duration how long the lease should last; {@link Duration#ZERO} for the default
     * @throws AllocationRefusedException when no node can hold it
     */
    LeaseOffer acquire(int cores, long memoryMiB, Duration duration);

    /**
     * Gives a lease back early, if the source tracks leases (the executor manager reports the end
     * as well). The default does nothing.
     */
    default void release(LeaseOffer lease) {
    }

    /**
     * Registers a listener for pushed lease revocations and freed capacity, if the source has a
     * way to hear about them (the resource manager's event stream). The default never calls it.
     */
    default LeaseEventListener.Registration subscribe(LeaseEventListener listener) {
        return () -> { };
    }
}
