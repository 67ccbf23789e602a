package org.rfaas.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.NodeRegistration;
import org.rfaas.rmclient.ResourceManagerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rfaas nodes [add|drain|resume|remove]}: the resource manager's executor nodes. */
@Command(name = "nodes", mixinStandardHelpOptions = true,
        description = "Lists executor nodes with their free capacity; sub-commands add, drain, resume, remove.",
        subcommands = {NodesCommand.Add.class, NodesCommand.Drain.class, NodesCommand.Resume.class, NodesCommand.Remove.class})
public final class NodesCommand implements Callable<Integer> {
    @Mixin
    ResourceManagerCommand.Connection rm;

    @Override
    public Integer call() {
        return ResourceManagerCommand.run(() -> print(rm.admin().listNodes()));
    }

    static void print(List<NodeInfo> nodes) {
        System.out.printf("%-16s %-9s %-9s %-24s %11s %17s %7s%n", "NODE", "STATE", "TRANSPORT", "ADDRESS", "FREE CORES",
                "FREE MEMORY MiB", "LEASES");
        for (NodeInfo n : nodes) {
            String addr = n.port() == 0 ? n.address() : n.address() + ":" + n.port();
            System.out.printf("%-16s %-9s %-9s %-24s %5d / %-4d %8d / %-7d %7d%n", n.name(), n.state(), n.transport(), addr,
                    n.freeCores(), n.cores(), n.freeMemoryMiB(), n.memoryMiB(), n.activeLeases());
        }
        if (nodes.isEmpty()) {
            System.out.println("(no nodes)");
        }
    }

    /** {@code rfaas nodes add}: a batch system lends a node. */
    @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds (lends) a node; its executor manager must heartbeat.")
    static final class Add implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--address", required = true)
        String address;
        @Option(names = "--port", defaultValue = "0")
        int port;
        @Option(names = "--transport", defaultValue = "tcp")
        String transport;
        @Option(names = "--cores", required = true)
        int cores;
        @Option(names = "--memory", required = true, paramLabel = "MiB")
        long memoryMiB;

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> print(List.of(rm.admin().addNode(
                    new NodeRegistration(name, address, port, transport, cores, memoryMiB)))));
        }
    }

    /** What drain, resume and remove share: the resource manager to talk to and the node's name. */
    abstract static class NodeAction implements Callable<Integer> {
        @Mixin
        ResourceManagerCommand.Connection rm;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
    }

    /** {@code rfaas nodes drain NAME}. */
    @Command(name = "drain", mixinStandardHelpOptions = true, description = "Stops placing leases on a node and revokes its leases.")
    static final class Drain extends NodeAction {

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> print(List.of(rm.admin().drainNode(name))));
        }
    }

    /** {@code rfaas nodes resume NAME}. */
    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Lets a drained node take leases again.")
    static final class Resume extends NodeAction {

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> print(List.of(rm.admin().resumeNode(name))));
        }
    }

    /** {@code rfaas nodes remove NAME}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Revokes a node's leases and removes it.")
    static final class Remove extends NodeAction {

        @Override
        public Integer call() {
            return ResourceManagerCommand.run(() -> {
                ResourceManagerClient c = rm.admin();
                NodeInfo last = c.removeNode(name);
                System.out.println("removed node " + last.name() + " (" + last.activeLeases() + " lease(s) revoked)");
            });
        }
    }
}
