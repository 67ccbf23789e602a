package org.rfaas.executor;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Test aid: with {@code -Drfaas.test.slowLogbackStartMillis=N}, logback's start (inside SLF4J's
 * initialisation) takes N ms more, so that a test can act while it is under way; without the
 * property it does nothing and logback's own configuration follows as usual.
 */
public final class SlowLogbackStart extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        String millis = System.getProperty("rfaas.test.slowLogbackStartMillis");
        if (millis != null) {
            try {
                Thread.sleep(Long.parseLong(millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
}
