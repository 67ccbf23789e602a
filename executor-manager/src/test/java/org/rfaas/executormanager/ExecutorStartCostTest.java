package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.executor.ExecutorMain;

/**
 * A forked executor's start, up to its connection to the manager, in a JVM launched with the
 * executors' own options: it must not initialise the JDK classes whose first use cost tens of ms
 * of the lease's one core (measured in docs/journal/2026-12-cold-start.md): {@code BigDecimal}
 * (a {@code Duration} multiplication), the security configuration (a socket address reading a
 * security property, a {@code SecureRandom}), a search of the class path's JARs for services
 * (logback's configurators, the transports).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExecutorStartCostTest {
    private static final Pattern INITIALIZING = Pattern.compile("Initializing '([^']+)'");
    private static final List<String> COSTLY = List.of("java/math/BigDecimal", "java/security/Security",
            "java/security/SecureRandom", "java/util/ServiceLoader$LazyClassPathLookupIterator");

    @TempDir
    Path dir;

    @Test
    void anExecutorReachesItsManagerWithoutTheCostlyJdkClasses() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        ExecutorManagerConfig config = ExecutorManagerConfig.of("cost", List.of("tcp://127.0.0.1:0"), 1, 512,
                dir.resolve("work")).withSpareExecutors(0);
        List<String> command;
        try (ExecutorManager manager = new ExecutorManager(config, null,
                ExecutorClassPath.of(ExecutorClassPath.compute().classPath(), dir.resolve("cache")))) {
            command = new ArrayList<>(manager.javaCommand(256));
        }
        Path log = dir.resolve("init.log");
        command.add(1, "-Xlog:class+init=info:file=" + log);
        command.addAll(List.of("--manager", "tcp://127.0.0.1:" + closedPort));
        assertEquals(ExecutorMain.class.getName(), command.get(command.size() - 3), command.toString());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put(ExecutorMain.SPAWN_SECRET_ENV, "7");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        assertNotEquals(0, p.exitValue(), output);
        assertTrue(output.contains("tcp://127.0.0.1:" + closedPort), "the executor did not try its manager: " + output);

        Set<String> initialized = new TreeSet<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = INITIALIZING.matcher(line);
            if (m.find()) {
                initialized.add(m.group(1));
            }
        }
        assertTrue(initialized.contains("org/rfaas/transport/tcp/TcpHandshake"),
                "the log does not reach the connection: " + initialized.size() + " classes");
        for (String costly : COSTLY) {
            assertFalse(initialized.contains(costly), costly + " was initialised on an executor's way to its manager");
        }
    }
}
