package org.rfaas.executor;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * An executor JVM's SLF4J provider: logback, configured by {@link ExecutorLogging} directly.
 *
 * <p>Logback's own provider starts with its auto-configuration, which asks {@link java.util.ServiceLoader}
 * for configurators first: that opens every JAR of the class path and reads the JDK's module image,
 * 20-35 ms of the logging thread on a forked executor's one core, for a configuration that is fixed.
 * {@link ExecutorLogging} names this class in {@code slf4j.provider} when it marks an executor JVM.
 */
public final class ExecutorLogProvider implements SLF4JServiceProvider {
    /** The SLF4J API version logback 1.5 declares. */
    private static final String REQUESTED_API_VERSION = "2.0.99";

    private final LoggerContext context = new LoggerContext();
    private final IMarkerFactory markerFactory = new BasicMarkerFactory();
    private final LogbackMDCAdapter mdcAdapter = new LogbackMDCAdapter();

    /** Called by SLF4J, which instantiates the class named in {@code slf4j.provider}. */
    public ExecutorLogProvider() {
    }

    @Override
    public void initialize() {
        context.setName("default"); // logback's default context name
        context.setMDCAdapter(mdcAdapter);
        ExecutorLogging.apply(context);
        context.start();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markerFactory;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdcAdapter;
    }

    @Override
    public String getRequestedApiVersion() {
        return REQUESTED_API_VERSION;
    }
}
