package org.rfaas.client;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * What a client keeps from one allocation for the next (a control connection per manager, a
 * worker listener per address and spec): at most one per key, taken by one allocation at a time,
 * closed when the client closes. Thread-safe.
 */
final class IdlePool<K, V> {
    private final Map<K, V> idle = new ConcurrentHashMap<>();
    private final BooleanSupplier clientClosed;
    private final Consumer<V> closer;

    IdlePool(BooleanSupplier clientClosed, Consumer<V> closer) {
        this.clientClosed = clientClosed;
        this.closer = closer;
    }

    /** The kept value for {@code key}, now the caller's, or {@code null}. */
    V take(K key) {
        return idle.remove(key);
    }

    /** Keeps {@code value} for {@code key}; closes it instead when one is kept already or the client closed. */
    void keep(K key, V value) {
        if (clientClosed.getAsBoolean() || idle.putIfAbsent(key, value) != null) {
            closer.accept(value);
            return;
        }
        if (clientClosed.getAsBoolean() && idle.remove(key, value)) {
            closer.accept(value); // closeAll() ran meanwhile and may have missed it
        }
    }

    /** Closes everything kept (the client is closing). */
    void closeAll() {
        for (K key : List.copyOf(idle.keySet())) {
            V value = idle.remove(key);
            if (value != null) {
                closer.accept(value);
            }
        }
    }
}
