package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An executor sets its logging up while another of its threads may already be creating the first
 * logger (SLF4J's initialisation under way there): the set-up must still take effect. It once
 * returned early then, and spares logged at DEBUG in logback's default format.
 */
class ExecutorLoggingSetupTest {
    @Test
    void theSetUpTakesEffectWhenAnotherThreadStartedSlf4jFirst() throws Exception {
        // A fresh JVM: SLF4J initialises once per JVM. Logback's start takes 300 ms more there
        // (SlowLogbackStart), so the set-up begins while the other thread's is under way.
        String out = runChild();
        assertTrue(out.startsWith("configured raced"), out);
    }

    private static String runChild() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Drfaas.test.slowLogbackStartMillis=300", "-cp", System.getProperty("java.class.path"),
                Child.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(bytes, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.contains("configured")).findFirst().orElse(out);
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
            ExecutorLogging.configure();
            first.join();
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            boolean configured = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("ERR") != null
                    && context.getLogger("org.rfaas").getLevel() == Level.INFO;
            System.out.println((configured ? "configured" : "NOT configured") + (raced ? " raced" : ""));
        }
    }
}
