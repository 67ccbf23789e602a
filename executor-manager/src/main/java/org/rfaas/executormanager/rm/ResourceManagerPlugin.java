package org.rfaas.executormanager.rm;

import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerPlugin;

/**
 * Starts a {@link ResourceManagerLink} for every executor manager whose config has a
 * {@code resourceManager} object; found through {@link java.util.ServiceLoader}.
 */
public final class ResourceManagerPlugin implements ExecutorManagerPlugin {
    @Override
    public AutoCloseable attach(ExecutorManager manager) {
        var config = manager.config().resourceManager();
        return config == null ? null : ResourceManagerLink.attach(manager, config);
    }
}
