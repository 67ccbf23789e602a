package org.rfaas.resourcemanager;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.ExecutorManagerPlugin;

/**
 * Child-process entry point of the integration tests: an executor manager with its plugins (the
 * resource-manager link), as {@code rfaas executor-manager} runs it. Stops when stdin closes.
 */
public final class ExecutorManagerNode {
    private ExecutorManagerNode() {
    }

    public static void main(String[] args) throws Exception {
        ExecutorManager manager = new ExecutorManager(ExecutorManagerConfig.load(Path.of(args[0])), null);
        List<String> addresses = manager.start();
        List<AutoCloseable> plugins = new ArrayList<>();
        for (ExecutorManagerPlugin p : ServiceLoader.load(ExecutorManagerPlugin.class)) {
            AutoCloseable h = p.attach(manager);
            if (h != null) {
                plugins.add(h);
            }
        }
        System.out.println("listening " + addresses.getFirst() + " plugins " + plugins.size());
        System.out.flush();
        while (System.in.read() >= 0) {
            // parent alive
        }
        manager.close();
        for (AutoCloseable p : plugins) {
            p.close();
        }
        System.exit(0);
    }
}
