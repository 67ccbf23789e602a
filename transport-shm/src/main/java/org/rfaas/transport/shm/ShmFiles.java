package org.rfaas.transport.shm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.HexFormat;
import org.rfaas.transport.KernelRandom;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.TransportException;

/**
 * Creation, mapping and naming of the shared files. They live in /dev/shm (memory, not disk), or
 * in {@code java.io.tmpdir} where /dev/shm does not exist, are created owner-only (0600) with a
 * random name, and are unlinked as soon as both processes have mapped them.
 */
final class ShmFiles {
    /** Every shared file's name starts with this; a connector maps nothing else. */
    static final String PREFIX = "rfaas-shm-";

    private ShmFiles() {
    }

    /** Where shared files are created: decided once per process. */
    private static final Path DIRECTORY = chooseDirectory();
    /** Its file system, looked up once (the lookup reads the mount table), asked for free space per file. */
    private static volatile FileStore store;

    /** Where shared files are created. */
    static Path directory() {
        return DIRECTORY;
    }

    private static Path chooseDirectory() {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static FileStore store() throws IOException {
        FileStore s = store;
        if (s == null) {
            s = Files.getFileStore(DIRECTORY);
            store = s;
        }
        return s;
    }

    /** Creates a fresh file of {@code size} zero bytes; the caller maps it and deletes it. */
    static Path create(long size) {
        Path dir = directory();
        try {
            long free = store().getUsableSpace();
            if (free < size) {
                throw new TransportException("an shm connection needs " + size + " bytes in " + dir + " but only "
                        + free + " are free; use fewer or smaller slots, or enlarge " + dir);
            }
            byte[] r = new byte[8];
            KernelRandom.nextBytes(r);
            Path file = dir.resolve(PREFIX + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(r));
            try (FileChannel ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(file);
                throw e;
            }
            return file;
        } catch (IOException e) {
            throw new TransportException("cannot create an shm file of " + size + " bytes in " + dir + ": " + e, e);
        }
    }

    /**
     * Maps a file named by a peer, after checking that it is one of ours: a regular file (not a
     * link) with the rFaaS prefix directly in {@link #directory()}, of exactly {@code size} bytes.
     */
    static MemorySegment mapPeerFile(String name, long size, Arena arena) {
        Path file = Path.of(name);
        Path dir = directory();
        if (!file.isAbsolute() || !dir.equals(file.getParent()) || !file.getFileName().toString().startsWith(PREFIX)) {
            throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm listener named mapping '" + name
                    + "', which is not an " + PREFIX + "* file in " + dir);
        }
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm mapping " + file + " is not a regular file");
            }
            long actual = Files.size(file);
            if (actual != size) {
                throw new ProtocolException(ProtocolError.BAD_HANDSHAKE, "shm mapping " + file + " has " + actual
                        + " bytes, the handshake announced " + size);
            }
            return map(file, size, arena);
        } catch (IOException e) {
            throw new TransportException("cannot map shm file " + file + ": " + e, e);
        }
    }

    /** Maps {@code size} bytes of {@code file} read-write, shared, into {@code arena}. */
    static MemorySegment map(Path file, long size, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        }
    }

    /** Unlinks a shared file; a file already gone is fine (the peer may have unlinked it first). */
    static void unlink(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new TransportException("cannot unlink shm file " + file + "; remove it by hand: " + e, e);
        }
    }
}
