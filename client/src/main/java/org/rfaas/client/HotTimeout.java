package org.rfaas.client;

import java.time.Duration;

/**
 * How long an executor worker busy-polls (hot) after its last invocation before it sleeps (warm),
 * in microseconds: {@code -1} always hot, {@code 0} always warm.
 *
 * @param micros the timeout in microseconds, -1 or more
 */
public record HotTimeout(long micros) {
    /** Workers never sleep: lowest latency, and the spinning is billed as hot-polling time. */
    public static final HotTimeout ALWAYS_HOT = new HotTimeout(-1);
    /** Workers always sleep between invocations: microseconds more latency, no spinning. */
    public static final HotTimeout ALWAYS_WARM = new HotTimeout(0);

    public HotTimeout {
        org.rfaas.protocol.ExecutorShape.requireHotTimeoutMicros(micros);
    }

    /** Hot for {@code duration} after each invocation, then warm. */
    public static HotTimeout of(Duration duration) {
        return new HotTimeout(Math.max(1, duration.toNanos() / 1000));
    }

    /** Hot for {@code micros} microseconds after each invocation, then warm. */
    public static HotTimeout ofMicros(long micros) {
        return new HotTimeout(micros);
    }
}
