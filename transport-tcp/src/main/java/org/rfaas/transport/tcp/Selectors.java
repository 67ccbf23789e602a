package org.rfaas.transport.tcp;

import java.nio.channels.SelectionKey;
import java.util.function.Consumer;

/** What every waiting place of the tcp transport needs to sleep in a {@link java.nio.channels.Selector}. */
final class Selectors {
    /** A selector callback that ignores the key: readiness alone is what we wait for. */
    static final Consumer<SelectionKey> IGNORE_KEY = key -> { };

    private Selectors() {
    }

    /** A selector timeout in whole milliseconds, at least 1 (0 would mean "forever"), without overflow. */
    static long ceilMillis(long nanos) {
        if (nanos > Long.MAX_VALUE - 999_999L) {
            return Long.MAX_VALUE / 1_000_000L;
        }
        return Math.max(1L, (nanos + 999_999L) / 1_000_000L);
    }
}
