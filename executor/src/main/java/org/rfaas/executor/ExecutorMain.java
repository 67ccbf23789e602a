package org.rfaas.executor;

import java.time.Duration;
import org.rfaas.protocol.LeaseEndReason;

/**
 * Entry point of an executor process, started by the executor manager (never by hand):
 * {@code java -Xmx<lease memory> org.rfaas.executor.ExecutorMain --lease-id ... }, secrets in the
 * environment (see {@link ExecutorSettings}). Exit code 0 after an orderly stop, 2 for bad
 * arguments, 3 for a package that cannot be loaded.
 */
public final class ExecutorMain {
    private ExecutorMain() {
    }

    public static void main(String[] args) {
        ExecutorSettings settings;
        try {
            settings = ExecutorSettings.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("rfaas-executor: " + e.getMessage());
            System.exit(2);
            return;
        }
        Executor executor = new Executor(settings);
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
}
