package org.rfaas.benchmarks.peers;

import java.util.Arrays;

/** The inputs every system echoes: the same deterministic bytes for a given size. */
public final class Payloads {
    private Payloads() {
    }

    /** Largest payload any benchmark sends (5 MiB) plus room for framing. */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;

    /** A deterministic, non-constant input of {@code bytes} bytes. */
    public static byte[] input(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    /** Throws unless {@code output} equals {@code input}. */
    public static void checkEcho(String system, byte[] input, byte[] output) {
        if (!Arrays.equals(input, output)) {
            throw new IllegalStateException(system + " echoed " + (output == null ? "null" : output.length + " bytes")
                    + " that differ from the " + input.length + "-byte input");
        }
    }
}
