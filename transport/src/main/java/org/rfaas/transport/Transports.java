package org.rfaas.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;

/** Opens transports by name: {@code shm}, {@code tcp}, {@code fabric:tcp}, {@code fabric:verbs}, … */
public final class Transports {
    /**
     * Providers a process registered in code, found before the class path's services: the class
     * path's lookup opens every JAR for its {@code META-INF/services} entry, ~12 ms of a forked
     * executor's start on its one core, at every {@link #open}.
     */
    private static final List<TransportProvider> REGISTERED = new CopyOnWriteArrayList<>();

    private Transports() {
    }

    /**
     * Makes {@code providers} answer to their schemes ahead of those found on the class path; for
     * a process that knows its transports (an executor), so that opening one does not search the
     * class path. Registering a scheme twice keeps the first.
     */
    public static void register(TransportProvider... providers) {
        for (TransportProvider p : providers) {
            if (registered(p.scheme()) == null) {
                REGISTERED.add(p);
            }
        }
    }

    private static TransportProvider registered(String scheme) {
        for (TransportProvider p : REGISTERED) {
            if (p.scheme().equals(scheme)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Opens the transport named {@code name}: a scheme, optionally followed by {@code :variant}.
     *
     * @throws TransportException when no provider on the class path answers to the scheme, or the
     *     provider cannot run here
     */
    public static Transport open(String name) {
        if (name == null || name.isBlank()) {
            throw new TransportException("no transport named; use one of " + schemes());
        }
        int colon = name.indexOf(':');
        String scheme = colon < 0 ? name : name.substring(0, colon);
        String variant = colon < 0 ? "" : name.substring(colon + 1);
        TransportProvider known = registered(scheme);
        if (known != null) {
            return known.open(variant);
        }
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            if (p.scheme().equals(scheme)) {
                return p.open(variant);
            }
        }
        throw new TransportException("unknown transport '" + name + "'; available: " + schemes());
    }

    /**
     * Opens and closes each of {@code names} once on a daemon thread, so that what a process pays
     * only at its first open — a native library's load and constructors, provider start-up, class
     * loading and linking; 0.5 s for {@code fabric:tcp} in a fresh JVM here, against 5 ms for a
     * second open — runs beside the caller's other start-up work instead of before its first
     * connection. A failure is only logged (at DEBUG): the caller's own {@link #open} reports it.
     *
     * @return the thread, already started
     */
    public static Thread preload(Collection<String> names) {
        List<String> copy = List.copyOf(names);
        return Thread.ofPlatform().daemon().name("rfaas-transport-preload").start(() -> {
            for (String name : copy) {
                try {
                    open(name).close();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Transports.class).debug("preloading {} failed: {}", name,
                            e.toString());
                }
            }
        });
    }

    /** The schemes of all providers, registered ones first, then those on the class path. */
    public static List<String> schemes() {
        List<String> out = new ArrayList<>();
        for (TransportProvider p : REGISTERED) {
            out.add(p.scheme());
        }
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            if (!out.contains(p.scheme())) {
                out.add(p.scheme());
            }
        }
        return out;
    }

    /** The transport part of an address: {@code fabric:tcp} for {@code fabric:tcp://h:1}. */
    public static String transportOf(String address) {
        int sep = address.indexOf("://");
        if (sep >= 0) {
            return address.substring(0, sep);
        }
        int colon = address.indexOf(':');
        if (colon < 0) {
            throw new TransportException("address '" + address + "' names no transport");
        }
        return address.substring(0, colon);
    }

    /**
     * The host part of an address {@code scheme://host:port} ({@code fabric:tcp://[::1]:7001} gives
     * {@code ::1}), or {@code null} for an address without one (an shm path, a bare name).
     */
    public static String hostOf(String address) {
        int start = address.indexOf("://");
        int end = address.lastIndexOf(':');
        if (start < 0 || end <= start + 3) {
            return null;
        }
        String host = address.substring(start + 3, end);
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * Where to listen on this host only for {@code transportName} (a process's own loopback
     * connections: warm-ups, rehearsals): a fresh socket for shm, an ephemeral port on 127.0.0.1
     * for the others.
     */
    public static String loopbackAddress(String transportName) {
        return transportName.equals("shm") ? "shm:" : transportName + "://127.0.0.1:0";
    }
}
