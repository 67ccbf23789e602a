package org.rfaas.executormanager;

/**
 * An extension started with every executor manager launched from the command line, found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.rfaas.executormanager.ExecutorManagerPlugin}).
 * The resource-manager link uses it to register the node, heartbeat, and forward billing through
 * {@link ExecutorManager#addLeaseListener}.
 */
public interface ExecutorManagerPlugin {

    /**
     * Attaches to a started manager. Read settings from {@code manager.config()} (e.g. its
     * {@code resourceManager} JSON); return {@code null} when not configured.
     *
     * @return closed when the manager stops, or {@code null}
     */
    AutoCloseable attach(ExecutorManager manager);
}
