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
import java.util.TimeZone;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.SubstituteLoggerFactory;

/** The executor process's logging, set up in code at start (see {@link #configure()}), by one thread. */
final class ExecutorLogging {
    private ExecutorLogging() {
    }

    /**
     * The logging of {@code rfaas-executor-logback.xml} (stderr, {@code org.rfaas} at
     * {@code -Drfaas.log.level}, default INFO, the rest at WARN), set up in code: parsing the XML
     * configuration took 150-200 ms of every executor's cold start. An explicit
     * {@code -Dlogback.configurationFile} (e.g. in {@code executorJvmArgs}) still wins. The lines
     * are formatted by {@link Layout}, not a pattern layout: compiling the pattern took
     * 65-190 ms of a fresh JVM without the AOT cache here, the hand-written layout 1-2 ms.
     */
    static void configure() {
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
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        context.reset();
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
