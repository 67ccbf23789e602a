package org.rfaas.benchmarks.transport;

/**
 * The benchmark's own tiny protocol between {@link PingSide} and {@link PongMain}, carried entirely
 * in the 32-bit immediate of each transport write (the payload is opaque and echoed back):
 *
 * <pre>
 *  31   30     29          28 ........................ 0
 * +---+------+-----------+-------------------------------+
 * | 0 | STOP | WARM_NEXT |        sequence number        |
 * +---+------+-----------+-------------------------------+
 * </pre>
 *
 * <ul>
 *   <li>{@code STOP}: the pong exits without answering.</li>
 *   <li>{@code WARM_NEXT}: after echoing this message the pong waits for the next one by sleeping
 *       ({@code await}) instead of spinning ({@code poll}). The ping sets it on every message of a
 *       warm round, and on the last message of a hot round, so an idle pong never spins while the
 *       C reference runs on the same CPUs.</li>
 *   <li>The sequence number lets the ping check that the echo is the answer to this message.</li>
 * </ul>
 */
final class PingPongWire {
    static final int STOP = 1 << 30;
    static final int WARM_NEXT = 1 << 29;
    static final int SEQ_MASK = WARM_NEXT - 1;

    private PingPongWire() {
    }
}
