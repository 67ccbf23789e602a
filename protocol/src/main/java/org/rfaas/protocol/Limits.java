package org.rfaas.protocol;

import org.rfaas.transport.ConnectionSpec;

/** Bounds every receiver enforces on the fields of rFaaS messages. */
public final class Limits {
    private Limits() {
    }

    /** Most cores (worker threads) one lease may hold. */
    public static final int MAX_CORES = 256;
    /** Most receive slots per worker (each one invocation in flight); ids use 8 bits for the slot. */
    public static final int MAX_SLOTS_PER_WORKER = 64;
    /** Largest input or output capacity: what fits in one transport slot with its header. */
    public static final int MAX_CAPACITY = ConnectionSpec.MAX_SLOT_SIZE - 64;
    /** Largest function package. */
    public static final int MAX_PACKAGE_BYTES = 256 << 20;
    /** Most functions in one package. */
    public static final int MAX_FUNCTIONS = 1024;
    /** Longest lease token. */
    public static final int MAX_TOKEN_BYTES = 4096;
    /** Longest transport address. */
    public static final int MAX_ADDRESS_BYTES = 1024;
    /** Longest error message carried in a reply or lease-ended message. */
    public static final int MAX_MESSAGE_BYTES = 4096;
    /** Largest hot timeout: one hour, in microseconds. */
    public static final long MAX_HOT_TIMEOUT_MICROS = 3_600_000_000L;
}
