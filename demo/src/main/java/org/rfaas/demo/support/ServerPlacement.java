package org.rfaas.demo.support;

import java.util.Arrays;
import java.util.List;

/**
 * Where the servers of a one-machine measurement run: on this host by default, or on another
 * host of a namespace cluster ({@code rfaas bench invoke --cluster}), which starts the measuring
 * JVM inside the client's host with two environment variables that its child JVMs inherit:
 * {@value #HOST_VARIABLE}, the address servers listen on, and {@value #ENTER_VARIABLE}, the
 * command prefix (nsenter) that starts a process in the server's host.
 */
public final class ServerPlacement {
    /** Address servers listen on instead of the loopback. */
    public static final String HOST_VARIABLE = "RFAAS_SERVER_HOST";
    /** Space-separated command that runs the rest of the command line in the server's host. */
    public static final String ENTER_VARIABLE = "RFAAS_SERVER_ENTER";

    private static final String HOST = System.getenv().getOrDefault(HOST_VARIABLE, "127.0.0.1");
    private static final List<String> ENTER = parse(System.getenv(ENTER_VARIABLE));

    private ServerPlacement() {
    }

    /** The address servers listen on: the loopback unless {@value #HOST_VARIABLE} names another. */
    public static String host() {
        return HOST;
    }

    /** The command prefix that puts a server process into its host (empty: this host). */
    public static List<String> enterCommand() {
        return ENTER;
    }

    private static List<String> parse(String value) {
        return value == null || value.isBlank() ? List.of() : Arrays.stream(value.trim().split("\\s+")).toList();
    }
}
