package org.rfaas.executormanager;

import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the connections that have not proven themselves yet: those whose first message has not
 * arrived, and clients whose request was not authorized (kept a moment so that they read the
 * refusal). Each holds a thread and its receive slots, so a peer that connects and idles, or sends
 * request after bad request, could otherwise grow the manager without bound. Counted per source
 * address and in all; a connection over either limit is closed at once. A connection leaves
 * the count when it proves itself (an authorized lease, an executor's hello) or closes.
 */
final class ConnectionAdmission {
    /** Unproven connections in all: each holds a thread and {@code 2 x 256 KiB} of slots. */
    static final int MAX_UNPROVEN = 128;
    /** Unproven connections from one address (the MPI ranks of a node connect at once). */
    static final int MAX_UNPROVEN_PER_SOURCE = 64;
    /** How long a connection may take to send its first message. */
    static final long FIRST_MESSAGE_TIMEOUT_NANOS = 2_000_000_000L;
    /** How long a refused client is given to read its refusal and close. */
    static final long REFUSAL_DRAIN_NANOS = 1_000_000_000L;

    private final Map<String, Integer> perSource = new HashMap<>();
    private int total;

    /** A counted connection; {@link #release} (idempotent) uncounts it. */
    final class Ticket {
        private final String source;
        private boolean released;

        private Ticket(String source) {
            this.source = source;
        }

        /** The connection proved itself or closed. */
        void release() {
            synchronized (ConnectionAdmission.this) {
                if (released) {
                    return;
                }
                released = true;
                total--;
                perSource.computeIfPresent(source, (s, n) -> n <= 1 ? null : n - 1);
            }
        }
    }

    /** Counts a new connection from {@code source}; null when a limit is reached (close it). */
    synchronized Ticket admit(String source) {
        int fromSource = perSource.getOrDefault(source, 0);
        if (total >= MAX_UNPROVEN || fromSource >= MAX_UNPROVEN_PER_SOURCE) {
            return null;
        }
        total++;
        perSource.put(source, fromSource + 1);
        return new Ticket(source);
    }

    /** Unproven connections now, all sources. */
    synchronized int unproven() {
        return total;
    }

    /**
     * The source address in a connection's peer description: the description without its port
     * ({@code 10.0.0.7:4711} and {@code fabric:tcp peer /10.0.0.7:4711} give their host part; a
     * local shm peer's description has no port and is one source).
     */
    static String sourceOf(String peerDescription) {
        int colon = peerDescription.lastIndexOf(':');
        if (colon < 0 || colon == peerDescription.length() - 1) {
            return peerDescription;
        }
        for (int i = colon + 1; i < peerDescription.length(); i++) {
            if (!Character.isDigit(peerDescription.charAt(i))) {
                return peerDescription;
            }
        }
        return peerDescription.substring(0, colon);
    }
}
