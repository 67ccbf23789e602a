package org.rfaas.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.rfaas.executormanager.ExecutorManager;
import org.rfaas.executormanager.ExecutorManagerConfig;
import org.rfaas.executormanager.ExecutorManagerPlugin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rfaas executor-manager --config FILE}: runs one node's executor manager until SIGINT/SIGTERM. */
@Command(name = "executor-manager", mixinStandardHelpOptions = true,
        description = {"Runs the executor manager of this node: accepts allocations, spawns one executor per lease.",
            "Prints 'listening <address>' on stdout for every listen address once ready."})
public final class ExecutorManagerCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "JSON config: node, listen, cores, memoryMiB, ...")
    Path config;

    @Override
    public Integer call() throws Exception {
        ExecutorManagerConfig cfg;
        try {
            cfg = ExecutorManagerConfig.load(config);
        } catch (RuntimeException e) {
            System.err.println("rfaas executor-manager: " + e.getMessage());
            return 2;
        }
        ExecutorManager manager = new ExecutorManager(cfg, null);
        List<String> addresses;
        try {
            addresses = manager.start();
        } catch (RuntimeException e) {
            System.err.println("rfaas executor-manager: cannot start: " + e.getMessage());
            manager.close();
            return 1;
        }
        List<AutoCloseable> plugins = new ArrayList<>();
        for (ExecutorManagerPlugin p : ServiceLoader.load(ExecutorManagerPlugin.class)) {
            AutoCloseable handle = p.attach(manager);
            if (handle != null) {
                plugins.add(handle);
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable p : plugins) {
                try {
                    p.close();
                } catch (Exception e) {
                    System.err.println("rfaas executor-manager: plugin " + p + " failed to close: " + e.getMessage());
                }
            }
            manager.close();
            stopped.countDown();
        }, "rfaas-em-shutdown"));
        for (String a : addresses) {
            System.out.println("listening " + a);
        }
        System.out.flush();
        stopped.await();
        return 0;
    }
}
