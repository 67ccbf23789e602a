package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 of a function package: its name in the executor managers' package caches. The
 * all-zero value {@link #NONE} means "not announced" (the manager then receives the package and
 * hashes it itself).
 */
public final class PackageDigest {
    /** Bytes of a digest on the wire. */
    public static final int LENGTH = 32;
    /** No digest announced. */
    public static final PackageDigest NONE = new PackageDigest(new byte[LENGTH]);

    private final byte[] bytes;

    private PackageDigest(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The digest of {@code content}. */
    public static PackageDigest of(byte[] content) {
        MessageDigest d = sha256();
        d.update(content);
        return new PackageDigest(d.digest());
    }

    /** The digest a finished {@link MessageDigest} (SHA-256) computed. */
    public static PackageDigest of(MessageDigest finished) {
        if (!"SHA-256".equals(finished.getAlgorithm())) {
            throw new IllegalArgumentException("package digests are SHA-256, not " + finished.getAlgorithm());
        }
        return new PackageDigest(finished.digest());
    }

    /** A digest from 64 hexadecimal digits. */
    public static PackageDigest ofHex(String hex) {
        if (hex == null || hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("a SHA-256 digest has " + 2 * LENGTH + " hex digits: '" + hex + "'");
        }
        return new PackageDigest(HexFormat.of().parseHex(hex));
    }

    /** A fresh SHA-256 hasher. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** Reads a digest from the wire (any 32 bytes are a digest). */
    static PackageDigest read(MemorySegment buffer, long offset) {
        byte[] b = new byte[LENGTH];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset, b, 0, LENGTH);
        return Arrays.equals(b, NONE.bytes) ? NONE : new PackageDigest(b);
    }

    /** Writes this digest to the wire. */
    void write(MemorySegment buffer, long offset) {
        MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, offset, LENGTH);
    }

    /** Whether this is {@link #NONE}. */
    public boolean isNone() {
        return Arrays.equals(bytes, NONE.bytes);
    }

    /** 64 lowercase hexadecimal digits (the cache's file name). */
    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackageDigest d && MessageDigest.isEqual(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return isNone() ? "sha256:none" : "sha256:" + hex();
    }
}
