package org.rfaas.testbed;

import java.nio.file.Path;
import java.util.List;

/**
 * A run that never closes its cluster: builds {@code args[1]} hosts under {@code args[0]}, starts a
 * long sleep in each, prints {@code ready}, then either waits to be SIGKILLed ({@code args[2] = wait}: no
 * shutdown hook runs) or exits without closing the cluster ({@code exit}: the shutdown hook tears it down).
 */
public final class KilledRunMain {
    private KilledRunMain() {
    }

    public static void main(String[] args) throws Exception {
        NamespaceCluster cluster = NamespaceCluster.start(Integer.parseInt(args[1]), Path.of(args[0]));
        for (Host h : cluster.hosts()) {
            h.start("sleeper", List.of("sleep", "3600"));
        }
        System.out.println("ready");
        System.out.flush();
        if (args[2].equals("exit")) {
            System.exit(0);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
