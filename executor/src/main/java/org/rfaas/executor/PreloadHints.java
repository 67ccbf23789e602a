package org.rfaas.executor;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

/**
 * What a spare learns from its {@code --preload} entries and its manager's address: the client
 * transports to open while it waits, and the node's numeric host on each, from which it keeps its
 * lease's connection prepared ({@link Transport#keepPrepared}: libfabric endpoints, whose
 * {@code fi_enable} took 15-35 ms each here).
 */
final class PreloadHints {
    /**
     * The connection a spare keeps prepared: only its slot count matters (a fabric endpoint's CQ
     * size, the same for every worker connection, which has at most 64 slots).
     */
    private static final ConnectionSpec PREPARED_SPEC = new ConnectionSpec(1, 4096, 0);

    /** Transport names to open, in the order given. */
    final List<String> names;
    /** By transport name; written only here. */
    private final Map<String, String> hosts = new HashMap<>();

    /**
     * @param entries listen addresses ({@code fabric:tcp://10.0.0.1:7001}) or bare transport names
     * @param managerAddress the manager's address, whose host serves its own transport
     */
    PreloadHints(List<String> entries, String managerAddress) {
        this.names = entries.stream().map(PreloadHints::transportName).toList();
        for (String entry : entries) {
            String host = numericHost(entry);
            if (host != null) {
                hosts.put(transportName(entry), host);
            }
        }
        String own = numericHost(managerAddress);
        if (own != null) {
            hosts.putIfAbsent(Transports.transportOf(managerAddress), own);
        }
    }

    /** Asks {@code t} to keep {@code count} connections prepared from the node's host on it; 0 stops the refills. */
    void keepPrepared(Transport t, int count) {
        String host = hosts.get(t.name());
        if (host != null) {
            t.keepPrepared(host, PREPARED_SPEC, count);
        }
    }

    /** A preload entry's transport: a listen address ({@code fabric:tcp://10.0.0.1:7001}) or a bare name. */
    static String transportName(String entry) {
        return entry.contains("://") || entry.startsWith("shm:/") ? Transports.transportOf(entry) : entry;
    }

    /** The numeric host of an address {@code scheme://host:port}, or {@code null} (a name, a wildcard, a path). */
    static String numericHost(String address) {
        String host = Transports.hostOf(address);
        if (host == null) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(host).isAnyLocalAddress() ? null : host;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
