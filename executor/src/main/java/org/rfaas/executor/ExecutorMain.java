package org.rfaas.executor;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.IOException;
import java.util.TimeZone;
import java.nio.file.Path;
import java.time.Duration;
import org.rfaas.protocol.LeaseEndReason;
import org.slf4j.LoggerFactory;

/**
 * Entry point of an executor process, started by the executor manager (never by hand):
 * {@code java -Xmx<lease memory> org.rfaas.executor.ExecutorMain --manager ADDRESS [--spare]}, the
 * spawn secret in the environment ({@value #SPAWN_SECRET_ENV}, where {@code ps} does not show it).
 * Nothing lease-specific is on the command line: every executor, spare ({@code --spare}, started
 * ahead of demand) or not, learns its lease from the manager's {@code ExecutorAssignment}.
 * {@code --train DIR} is the training run of the executors' AOT cache. Exit code 0 after an
 * orderly stop, 2 for bad arguments, 3 for a package that cannot be loaded.
 */
public final class ExecutorMain {
    /** Environment variable holding the spawn secret (decimal). */
    public static final String SPAWN_SECRET_ENV = "RFAAS_SPAWN_SECRET";

    private ExecutorMain() {
    }

    public static void main(String[] args) {
        configureLogging();
        if (args.length == 2 && args[0].equals("--train")) {
            train(Path.of(args[1]));
            return;
        }
        Executor executor;
        try {
            executor = parse(args, System.getenv(SPAWN_SECRET_ENV));
        } catch (IllegalArgumentException e) {
            System.err.println("rfaas-executor: " + e.getMessage());
            System.exit(2);
            return;
        }
        Thread hook = new Thread(() -> executor.stop(LeaseEndReason.MANAGER_SHUTDOWN, Duration.ofSeconds(3)),
                "rfaas-executor-sigterm");
        Runtime.getRuntime().addShutdownHook(hook);
        int code = executor.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // SIGTERM arrived: the hook is running and waits for run() above, which is done.
        }
        System.exit(code);
    }

    /**
     * Reads {@code --manager ADDRESS [--spare]} and the spawn secret.
     *
     * @throws IllegalArgumentException naming what is missing or bad
     */
    static Executor parse(String[] args, String secret) {
        boolean spare = args.length == 3 && args[2].equals("--spare");
        if (!(args.length == 2 || spare) || !args[0].equals("--manager")) {
            throw new IllegalArgumentException("usage: --manager ADDRESS [--spare], got " + String.join(" ", args));
        }
        if (secret == null) {
            throw new IllegalArgumentException("missing " + SPAWN_SECRET_ENV);
        }
        try {
            return new Executor(args[1], Long.parseLong(secret), spare);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SPAWN_SECRET_ENV + " is not a number");
        }
    }

    /**
     * The training run of the AOT cache (see {@link ExecutorTraining}): exits 0 when every step
     * worked, so that the JVM writes the cache; 1 otherwise.
     */
    private static void train(Path dir) {
        try {
            ExecutorTraining.run(dir);
        } catch (IOException | RuntimeException e) {
            System.err.println("rfaas-executor: training failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    /**
     * The logging of {@code rfaas-executor-logback.xml} (stderr, {@code org.rfaas} at
     * {@code -Drfaas.log.level}, default INFO, the rest at WARN), set up in code: parsing the XML
     * configuration took 150-200 ms of every executor's cold start. An explicit
     * {@code -Dlogback.configurationFile} (e.g. in {@code executorJvmArgs}) still wins. The lines
     * are formatted by {@link ExecutorLogLayout}, not a pattern layout: compiling the pattern took
     * 65-190 ms of a fresh JVM without the AOT cache here, the hand-written layout 1-2 ms.
     */
    static void configureLogging() {
        if (System.getProperty("logback.configurationFile") != null
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        ExecutorLogLayout layout = new ExecutorLogLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("ERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("org.rfaas").setLevel(Level.toLevel(System.getProperty("rfaas.log.level", "INFO"), Level.INFO));
    }

    /**
     * The pattern {@code %d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n}, by hand (the
     * time in the JVM's default time zone, the logger name shortened like logback's
     * {@code %logger{20}}: leading package names cut to their first letter until it fits).
     */
    static final class ExecutorLogLayout extends LayoutBase<ILoggingEvent> {
        private static final int LOGGER_LENGTH = 20;

        @Override
        public String doLayout(ILoggingEvent event) {
            StringBuilder b = new StringBuilder(128);
            long millis = event.getTimeStamp();
            long local = Math.floorMod(millis + TimeZone.getDefault().getOffset(millis), 86_400_000L);
            pad(b, local / 3_600_000, 2).append(':');
            pad(b, local / 60_000 % 60, 2).append(':');
            pad(b, local / 1000 % 60, 2).append('.');
            pad(b, local % 1000, 3).append(' ');
            String level = event.getLevel().toString();
            b.append(level);
            for (int i = level.length(); i < 5; i++) {
                b.append(' ');
            }
            b.append(" [").append(event.getThreadName()).append("] ");
            b.append(abbreviate(event.getLoggerName())).append(" - ").append(event.getFormattedMessage());
            b.append(CoreConstants.LINE_SEPARATOR);
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                b.append(ThrowableProxyUtil.asString(thrown)); // ends with a line separator
            }
            return b.toString();
        }

        private static StringBuilder pad(StringBuilder b, long value, int digits) {
            String v = Long.toString(value);
            for (int i = v.length(); i < digits; i++) {
                b.append('0');
            }
            return b.append(v);
        }

        static String abbreviate(String name) {
            if (name.length() <= LOGGER_LENGTH) {
                return name;
            }
            String[] parts = name.split("\\.");
            int length = name.length();
            StringBuilder b = new StringBuilder(name.length());
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i];
                if (i < parts.length - 1 && length > LOGGER_LENGTH && part.length() > 1) {
                    length -= part.length() - 1;
                    part = part.substring(0, 1);
                }
                if (i > 0) {
                    b.append('.');
                }
                b.append(part);
            }
            return b.toString();
        }
    }
}
