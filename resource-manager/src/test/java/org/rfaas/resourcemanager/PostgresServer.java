package org.rfaas.resourcemanager;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL server for tests: Debian's {@code postgresql} binaries (initdb, pg_ctl),
 * a data directory in /tmp, trust authentication on 127.0.0.1 and a free port, fsync on (the
 * durability the tests check is the real one). As root it runs as the {@code postgres} user, as
 * PostgreSQL refuses to run as root.
 */
final class PostgresServer implements AutoCloseable {
    static final String USER = "rfaas";

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asRoot;
    private int databases;

    private PostgresServer(Path dir, Path bin, int port, boolean asRoot) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asRoot = asRoot;
    }

    /** Initializes and starts a server; fails with what to install when PostgreSQL is missing. */
    static PostgresServer start() throws IOException, InterruptedException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("rfaas-pg-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PostgresServer pg = new PostgresServer(dir, bin, port, root);
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), dir);
        }
        pg.pg("initdb", "-D", dir.resolve("data").toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync");
        pg.pg("pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200",
                "start");
        return pg;
    }

    /** A fresh, empty database's JDBC URL. */
    synchronized String newDatabase() throws SQLException {
        String name = "rfaas_" + (++databases);
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, ""); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    private static Path binaries() throws IOException {
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> versions = Files.list(lib)) {
                var newest = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
                if (newest.isPresent()) {
                    return newest.get();
                }
            }
        }
        throw new IOException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl): apt-get install postgresql"
                + " (it is in .ci/run's package list)");
    }

    private void pg(String tool, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asRoot) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.add(bin.resolve(tool).toString());
        cmd.addAll(List.of(args));
        run(cmd, dir);
    }

    private static void run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile("rfaas-pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " failed:\n" + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Stops the server at once and deletes its files. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            pg("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
