package org.rfaas.benchmarks.peers;

import io.grpc.Server;
import org.rfaas.demo.support.ChildJvm;

/**
 * Entry point of a peer's server process. Usage: {@code grpc}, {@code hazelcast CLUSTER},
 * {@code http-worker}, {@code http-gateway WORKER_PORT}. Prints {@code READY <port>} and serves
 * until stdin closes.
 */
public final class PeerServerMain {
    private PeerServerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: PeerServerMain grpc | hazelcast CLUSTER | http-worker | http-gateway WORKER_PORT");
            System.exit(2);
        }
        switch (args[0]) {
            case "grpc" -> {
                Server server = GrpcEcho.startServer();
                ChildJvm.announceAndAwaitParent(String.valueOf(server.getPort()));
                server.shutdownNow();
            }
            case "hazelcast" -> ChildJvm.announceAndAwaitParent(String.valueOf(HazelcastEcho.startMember(args[1])));
            case "http-worker" -> ChildJvm.announceAndAwaitParent(String.valueOf(HttpGatewayEcho.startWorker()));
            case "http-gateway" -> ChildJvm.announceAndAwaitParent(
                    String.valueOf(HttpGatewayEcho.startGateway(Integer.parseInt(args[1]))));
            default -> {
                System.err.println("unknown peer server '" + args[0] + "'");
                System.exit(2);
            }
        }
        // Non-daemon server threads (Netty, Hazelcast, Jetty) must not keep us alive after the parent left.
        System.exit(0);
    }
}
