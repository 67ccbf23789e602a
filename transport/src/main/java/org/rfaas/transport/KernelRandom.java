package org.rfaas.transport;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Unpredictable bytes (nonces, file names) read from the kernel's random source,
 * {@code /dev/urandom}, the source {@link SecureRandom}'s default algorithm on Linux reads too.
 *
 * <p>Why not {@code new SecureRandom()}: its first use starts the JDK's security providers, 30-50
 * ms of a fresh JVM here, which every {@code rfaas invoke} process and every executor making an
 * shm connection paid before its first call; reading the device costs ~0.3 ms. Where the device
 * cannot be read (another OS, a sandbox without it), a {@link SecureRandom} made on first need
 * answers instead.
 */
public final class KernelRandom {
    private static final Path DEVICE = Path.of("/dev/urandom");

    private KernelRandom() {
    }

    /** Fills {@code bytes}. */
    public static void nextBytes(byte[] bytes) {
        try (FileChannel device = FileChannel.open(DEVICE, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                if (device.read(buffer) < 0) {
                    throw new EOFException(DEVICE + " ended");
                }
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            Fallback.RANDOM.nextBytes(bytes);
        }
    }

    /** A random {@code long}. */
    public static long nextLong() {
        byte[] b = new byte[Long.BYTES];
        nextBytes(b);
        return ByteBuffer.wrap(b).getLong();
    }

    /** Made only when the device cannot be read, so that the providers start only then. */
    private static final class Fallback {
        static final SecureRandom RANDOM = new SecureRandom();
    }
}
