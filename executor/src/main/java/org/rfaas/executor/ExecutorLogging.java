package org.rfaas.executor;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.status.Status;
import java.util.TimeZone;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.SubstituteLoggerFactory;

/**
 * The executor process's logging, set up in code: SLF4J's provider is {@link ExecutorLogProvider},
 * which configures logback here ({@link #apply}) instead of letting logback search the class path
 * for configurators and configuration files and start its default console pattern.
 */
public final class ExecutorLogging {
    /** SLF4J's property naming its provider class (SLF4J 2.0.9 and later). */
    private static final String SLF4J_PROVIDER_PROPERTY = "slf4j.provider";
    /** The level from which SLF4J reports on itself. */
    private static final String SLF4J_VERBOSITY_PROPERTY = "slf4j.internal.verbosity";
    /** The logger context's object saying that {@link #apply} configured it. */
    private static final String APPLIED = ExecutorLogging.class.getName();

    private ExecutorLogging() {
    }

    /**
     * Names the executor's SLF4J provider and starts logging on a thread of its own (see
     * {@link #setUp()}): SLF4J's start runs beside the executor's connection to its manager,
     * and SLF4J keeps what is logged meanwhile and replays it once it is set up.
     */
    static void startInBackground() {
        nameProvider(); // before any other thread can start SLF4J
        Thread.ofPlatform().daemon().name("rfaas-logging-setup").start(ExecutorLogging::setUp);
    }

    /**
     * Starts SLF4J with {@link ExecutorLogProvider}, which configures logback through
     * {@link #apply}; with {@code -Dlogback.configurationFile} (e.g. in {@code executorJvmArgs}),
     * logback's own provider reads that file instead. Should another thread have started SLF4J
     * before the provider was named, logback chose its configuration: this waits for that start to
     * end and replaces the configuration.
     */
    static void setUp() {
        nameProvider();
        if (System.getProperty("logback.configurationFile") != null) {
            return;
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        // Another thread's first logger started SLF4J's initialisation: its stand-in factory is
        // answered until that is done (milliseconds).
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (factory instanceof SubstituteLoggerFactory && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(200_000); // the other thread needs the CPU more
            factory = LoggerFactory.getILoggerFactory();
        }
        if (factory instanceof LoggerContext context && context.getObject(APPLIED) == null) {
            context.reset();
            apply(context);
        }
    }

    /**
     * Names SLF4J's provider, so that SLF4J does not look for providers in every JAR of the class
     * path (~20 ms of an executor's start), nor logback for configurators (see {@link ExecutorLogProvider}).
     */
    private static void nameProvider() {
        if (System.getProperty(SLF4J_PROVIDER_PROPERTY) == null) {
            System.setProperty(SLF4J_PROVIDER_PROPERTY, System.getProperty("logback.configurationFile") == null
                    ? ExecutorLogProvider.class.getName() : LogbackServiceProvider.class.getName());
            // SLF4J says at INFO that it took the provider from the property: not worth a line
            // at every executor's start.
            if (System.getProperty(SLF4J_VERBOSITY_PROPERTY) == null) {
                System.setProperty(SLF4J_VERBOSITY_PROPERTY, "WARN");
            }
        }
    }

    private static void printError(Status status) {
        if (status.getEffectiveLevel() >= Status.ERROR) {
            System.err.println("logback error: " + status.getMessage());
            if (status.getThrowable() != null) {
                status.getThrowable().printStackTrace();
            }
        }
    }

    /** Configures {@code context} for an executor: stderr, {@code org.rfaas} at {@code -Drfaas.log.level}. */
    static void apply(LoggerContext context) {
        // Logback's own errors go to stderr as they happen. A context with a status listener also
        // skips logback's end-of-start status check, whose printer builds a date formatter (the
        // time-zone database, ~20 ms of a fresh JVM) even when there is nothing to print; logback's
        // console listeners print through that same printer, and every status at that.
        context.getStatusManager().add(ExecutorLogging::printError);
        Layout layout = new Layout();
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
        context.putObject(APPLIED, Boolean.TRUE);
    }

    /**
     * The pattern {@code %d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n}, by hand (the
     * time in the JVM's default time zone, the logger name shortened like logback's
     * {@code %logger{20}}: leading package names cut to their first letter until it fits).
     */
    static final class Layout extends LayoutBase<ILoggingEvent> {
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
