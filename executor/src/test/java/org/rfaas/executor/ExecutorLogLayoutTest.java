package org.rfaas.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The executor's hand-written log layout prints what its former pattern layout printed. */
class ExecutorLogLayoutTest {
    @Test
    void linesMatchThePatternLayout() {
        LoggerContext context = new LoggerContext();
        PatternLayout pattern = new PatternLayout();
        pattern.setContext(context);
        pattern.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n");
        pattern.start();
        ExecutorLogging.Layout layout = new ExecutorLogging.Layout();
        layout.setContext(context);
        layout.start();
        List<String> loggers = List.of("org.rfaas.executor.Executor", "org.rfaas.transport.shm.ShmConnection", "short",
                "a.b.VeryLongClassNameThatDoesNotFitAtAll", "org.rfaas.executor.ExecutorMain$Inner");
        long[] times = {0, 1_732_300_000_123L, 1_732_345_678_901L};
        for (String name : loggers) {
            Logger logger = context.getLogger(name);
            for (long time : times) {
                for (Level level : List.of(Level.INFO, Level.WARN, Level.ERROR, Level.DEBUG)) {
                    LoggingEvent e = new LoggingEvent(Logger.FQCN, logger, level, "lease {}: {}",
                            level == Level.ERROR ? new IllegalStateException("boom") : null, new Object[] {7, "x"});
                    e.setTimeStamp(time);
                    e.setThreadName("rfaas-worker-0");
                    assertEquals(pattern.doLayout(e), layout.doLayout(e), name + " " + level + " " + time);
                }
            }
        }
    }
}
