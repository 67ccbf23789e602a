package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An executor's logging: set up by its own SLF4J provider, without logback's search for
 * configurators and configuration files, its default configuration or its status printer (each costs a fresh JVM
 * milliseconds of the lease's core); and set up even while another of its threads may already be
 * creating the first logger (SLF4J's initialisation under way there). It once returned early then,
 * and spares logged at DEBUG in logback's default format.
 */
class ExecutorLoggingSetupTest {
    @Test
    void theSetUpTakesEffectWhenAnotherThreadStartedSlf4jFirst() throws Exception {
        // A fresh JVM: SLF4J initialises once per JVM. Logback's start takes 300 ms more there
        // (SlowLogbackStart), so the set-up begins while the other thread's is under way.
        String out = runChild();
        assertTrue(out.startsWith("configured raced"), out);
    }

    @Test
    void logbackStartsWithTheExecutorsConfigurationAlone(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("init.log");
        String out = run(List.of("-Xlog:class+init=info:file=" + log), OneLine.class);
        assertTrue(out.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[main\\] org\\.rfaas\\.one - hello")),
                "not the executor's line format: " + out);
        assertFalse(out.contains("|-INFO") || out.contains("SLF4J("), "logback or SLF4J reported on itself: " + out);
        String initialized = Files.readString(log);
        for (String costly : List.of("ch/qos/logback/classic/util/ContextInitializer",
                "java/util/ServiceLoader$LazyClassPathLookupIterator",
                "ch/qos/logback/classic/util/DefaultJoranConfigurator",
                "ch/qos/logback/classic/BasicConfigurator", "ch/qos/logback/core/util/StatusPrinter",
                "java/time/format/DateTimeFormatter")) {
            assertFalse(initialized.contains("'" + costly + "'"), costly + " was initialised");
        }
    }

    private static String runChild() throws IOException, InterruptedException {
        String out = run(List.of("-Drfaas.test.slowLogbackStartMillis=300"), Child.class);
        return out.lines().filter(l -> l.contains("configured")).findFirst().orElse(out);
    }

    private static String run(List<String> options, Class<?> main) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child JVM: the executor's set-up, then one line. */
    public static final class OneLine {
        public static void main(String[] args) {
            ExecutorLogging.setUp();
            LoggerFactory.getLogger("org.rfaas.one").info("hello");
        }
    }

    /** The child JVM: a thread creates the first logger; set-up starts once that is under way. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Field state = LoggerFactory.class.getDeclaredField("INITIALIZATION_STATE");
            state.setAccessible(true);
            Thread first = Thread.ofPlatform().start(() -> LoggerFactory.getLogger("org.rfaas.first"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            int seen;
            while ((seen = state.getInt(null)) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            boolean raced = seen == 1; // ONGOING_INITIALIZATION
            ExecutorLogging.setUp();
            first.join();
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            boolean configured = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("ERR") != null
                    && context.getLogger("org.rfaas").getLevel() == Level.INFO;
            System.out.println((configured ? "configured" : "NOT configured") + (raced ? " raced" : ""));
        }
    }
}
