package org.rfaas.executormanager.packages;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.rfaas.protocol.PackageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's function packages by content: a file per SHA-256 in one directory, so that a
 * package is shipped to a node once and every later lease of any client announcing the same
 * digest starts from the node's copy.
 *
 * <p>A cached file is never trusted by its name: {@link #provide} hashes what it hands to a lease
 * and drops an entry whose content no longer matches (a tampered or damaged file), so the client
 * then ships the package again. The cache keeps at most its size limit, evicting the least
 * recently used packages first; a package larger than the limit is not cached.
 *
 * <p>Threads: called by the client sessions of concurrent allocations; the index is guarded by
 * this object's lock, hashing and file copies happen outside it. Not on any invocation path.
 */
public final class PackageCache {
    private static final Logger LOG = LoggerFactory.getLogger(PackageCache.class);
    private static final int HASH_BUFFER = 1 << 20;

    private final Path dir;
    private final long limitBytes;
    /** Digest → size, least recently used first. */
    private final LinkedHashMap<PackageDigest, Long> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long heldBytes;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong tampered = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();

    /**
     * Opens the cache in {@code dir} (created if missing) with a limit of {@code limitBytes}
     * (0: nothing is cached). Files left by an earlier run are indexed (oldest use first, as their
     * modification times say) and, like every entry, verified when used; other files are removed.
     */
    public PackageCache(Path dir, long limitBytes) throws IOException {
        if (limitBytes < 0) {
            throw new IllegalArgumentException("negative package cache limit " + limitBytes);
        }
        this.dir = dir;
        this.limitBytes = limitBytes;
        Files.createDirectories(dir);
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (isDigestName(f.getFileName().toString()) && Files.isRegularFile(f)) {
                    found.add(f);
                } else {
                    deleteQuietly(f); // a partial copy of a crashed run
                }
            }
        }
        found.sort(Comparator.comparing(PackageCache::modified));
        synchronized (this) {
            for (Path f : found) {
                long size = Files.size(f);
                entries.put(PackageDigest.ofHex(f.getFileName().toString()), size);
                heldBytes += size;
            }
            evictDownTo(limitBytes);
        }
    }

    /**
     * Puts a verified copy of the package {@code digest} at {@code target} (a hard link to the
     * cached file, or a copy on another file system) and returns true; returns false when the
     * cache has none, or had one whose content no longer hashes to {@code digest} (then dropped,
     * and nothing is left at {@code target}).
     */
    public boolean provide(PackageDigest digest, int size, Path target) throws IOException {
        if (digest.isNone()) {
            return false;
        }
        Long held;
        synchronized (this) {
            held = entries.get(digest); // marks it used
        }
        if (held == null || held != size) {
            misses.incrementAndGet();
            return false;
        }
        Path file = fileOf(digest);
        Files.deleteIfExists(target);
        try {
            link(file, target);
        } catch (NoSuchFileException e) {
            forget(digest, "vanished");
            misses.incrementAndGet();
            return false;
        }
        // Hash what the executor will load (the linked inode), not the name it was found under.
        if (Files.size(target) != size || !digest.equals(hash(target))) {
            Files.deleteIfExists(target);
            tampered.incrementAndGet();
            misses.incrementAndGet();
            forget(digest, "does not match its SHA-256 any more");
            return false;
        }
        try {
            // The use order for the next start of the manager.
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            LOG.debug("package cache: cannot touch {}: {}", file, e.getMessage());
        }
        hits.incrementAndGet();
        return true;
    }

    /**
     * Adds a package a client just shipped, already checked to hash to {@code digest}, by linking
     * {@code received} into the cache; evicts the least recently used packages to stay within the
     * limit. A package above the limit, or one already held, is left alone.
     */
    public void admit(PackageDigest digest, Path received) throws IOException {
        long size = Files.size(received);
        if (digest.isNone() || size > limitBytes) {
            return;
        }
        synchronized (this) {
            if (entries.containsKey(digest)) {
                return;
            }
            evictDownTo(limitBytes - size);
            Path file = fileOf(digest);
            Path partial = dir.resolve(digest.hex() + ".partial");
            Files.deleteIfExists(partial);
            link(received, partial);
            // Read-only: an accident should not change it (a deliberate change is caught by the hash).
            partial.toFile().setWritable(false, false);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            entries.put(digest, size);
            heldBytes += size;
        }
    }

    /** Counts package bytes a client shipped to this node (what the cache saves). */
    public void countReceived(long bytes) {
        bytesReceived.addAndGet(bytes);
    }

    /** Bytes of packages clients shipped to this node since it started. */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** Allocations that found their package here, verified. */
    public long hits() {
        return hits.get();
    }

    /** Allocations whose package had to be shipped (absent, or found tampered). */
    public long misses() {
        return misses.get();
    }

    /** Cached files found not to match their digest (each dropped and re-fetched). */
    public long tampered() {
        return tampered.get();
    }

    /** Packages evicted to stay within the limit. */
    public long evictions() {
        return evictions.get();
    }

    /** Bytes held now. */
    public synchronized long heldBytes() {
        return heldBytes;
    }

    /**
     * The most recently used package (provided to a lease or admitted), if any: what a spare
     * preloads (not verified here: the spare hashes what it reads).
     */
    public synchronized java.util.Optional<PackageDigest> mostRecent() {
        return entries.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(entries.lastEntry().getKey());
    }

    /** Whether a package with this digest is held (not verified: that happens on use). */
    public synchronized boolean holds(PackageDigest digest) {
        return entries.containsKey(digest);
    }

    /** The file a digest is kept in. */
    public Path fileOf(PackageDigest digest) {
        return dir.resolve(digest.hex());
    }

    /** The SHA-256 of a file. */
    public static PackageDigest hash(Path file) throws IOException {
        MessageDigest d = PackageDigest.sha256();
        try (FileChannel in = FileChannel.open(file)) {
            // Sized to the file, up to 1 MiB: a package is often a few KB, and zeroing a fixed
            // 1 MiB buffer was most of a cached package's check on every lease.
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.clamp(in.size(), 1, HASH_BUFFER));
            while (in.read(buffer) >= 0) {
                d.update(buffer.flip());
                buffer.clear();
            }
        }
        return PackageDigest.of(d);
    }

    private void evictDownTo(long bytes) {
        for (Iterator<Map.Entry<PackageDigest, Long>> it = entries.entrySet().iterator();
                heldBytes > bytes && it.hasNext();) {
            Map.Entry<PackageDigest, Long> e = it.next();
            it.remove();
            heldBytes -= e.getValue();
            evictions.incrementAndGet();
            deleteQuietly(fileOf(e.getKey()));
            LOG.debug("package cache: evicted {} ({} bytes)", e.getKey(), e.getValue());
        }
    }

    private synchronized void forget(PackageDigest digest, String why) {
        Long size = entries.remove(digest);
        if (size != null) {
            heldBytes -= size;
            deleteQuietly(fileOf(digest));
            LOG.warn("package cache: {} {}; dropped, the client ships it again", digest, why);
        }
    }

    /** A hard link (no copy, and the cache's eviction cannot pull it from under a lease), else a copy. */
    private static void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (FileSystemException | UnsupportedOperationException e) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean isDigestName(String name) {
        if (name.length() != 2 * PackageDigest.LENGTH) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("package cache: cannot delete {}: {}", f, e.getMessage());
        }
    }
}
