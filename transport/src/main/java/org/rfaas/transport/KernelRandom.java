package org.rfaas.transport;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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
 * shm connection paid before its first call. The device stays open: opening, reading and closing
 * it per call took 0.25-0.3 ms of every allocation's nonce and every shm connection's file name
 * (the JDK's file-channel code runs once per call, interpreted); a read of the open device takes
 * 15-30 µs. Where the device cannot be read (another OS, a sandbox without it), a
 * {@link SecureRandom} made on first need answers instead.
 */
public final class KernelRandom {
    private static final Path DEVICE = Path.of("/dev/urandom");
    /** Opened at the first use; null again once closed (an interrupted reader closes a file channel). */
    private static volatile FileChannel device;

    private KernelRandom() {
    }

    /** Fills {@code bytes}. */
    public static void nextBytes(byte[] bytes) {
        // A second try only after the device channel closed under another thread's interrupt.
        for (int attempt = 0; attempt < 2; attempt++) {
            FileChannel d = null;
            try {
                d = device();
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    if (d.read(buffer) < 0) {
                        throw new EOFException(DEVICE + " ended");
                    }
                }
                return;
            } catch (ClosedChannelException e) {
                forget(d);
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                break;
            }
        }
        Fallback.RANDOM.nextBytes(bytes);
    }

    private static FileChannel device() throws IOException {
        FileChannel d = device;
        if (d == null) {
            synchronized (KernelRandom.class) {
                d = device;
                if (d == null) {
                    d = FileChannel.open(DEVICE, StandardOpenOption.READ);
                    device = d;
                }
            }
        }
        return d;
    }

    private static void forget(FileChannel closed) {
        synchronized (KernelRandom.class) {
            if (device == closed) {
                device = null;
            }
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
