package org.rfaas.rmclient;

/**
 * How both clients of the resource manager ({@link ResourceManagerClient} over HTTP,
 * {@link org.rfaas.rmclient.rpc.LeaseRpcClient} on the lease endpoint) go through the resource
 * managers they are given: in turn from the one that served last, passing over one that is
 * unreachable (status 0) or a standby (503), round after round 50 ms apart until a timeout; an
 * answer or a refusal from the one that serves ends the call.
 */
public final class Failover {
    private Failover() {
    }

    /** One try at resource manager {@code index}. */
    @FunctionalInterface
    public interface Attempt<T> {
        T at(int index);
    }

    /** Calls {@code attempt} on {@code count} resource managers from {@code first} as above. */
    public static <T> T call(int count, int first, long timeoutNanos, Attempt<T> attempt) {
        if (count == 1) {
            return attempt.at(0);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            ResourceManagerException last = null;
            for (int i = 0; i < count; i++) {
                try {
                    return attempt.at((first + i) % count);
                } catch (ResourceManagerException e) {
                    if (e.status() != 0 && e.status() != 503) {
                        throw e; // a real answer: the resource manager that serves refused
                    }
                    last = e;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw last;
            }
            try {
                Thread.sleep(50); // a standby takes over within its leadership lease
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw last;
            }
        }
    }
}
