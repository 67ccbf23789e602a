package org.rfaas.benchmarks.peers;

import org.rfaas.demo.support.ChildJvm;
import org.rfaas.benchmarks.suite.RoundTrip;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The systems a user would pick instead of rFaaS, each with its server in separate processes on
 * loopback. {@link #start()} launches the servers and returns a client whose {@code close()} also
 * stops them.
 */
public enum Peer {
    /** gRPC-java unary call. */
    GRPC("grpc", "netty-tcp"),
    /** Hazelcast IExecutorService task. */
    HAZELCAST("hazelcast", "hazelcast-tcp"),
    /** HTTP/JSON through a gateway process in front of a worker process. */
    HTTP_GATEWAY("http-gateway", "http1.1-tcp");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final String MAIN = PeerServerMain.class.getName();

    private final String system;
    private final String provider;

    Peer(String system, String provider) {
        this.system = system;
        this.provider = provider;
    }

    /** The {@code system} column of this peer's rows. */
    public String system() {
        return system;
    }

    /** The {@code provider} column: the stack the peer runs on. */
    public String provider() {
        return provider;
    }

    /** Starts this peer's server process(es) and connects a client. */
    public RoundTrip start() throws IOException {
        List<ChildJvm> children = new ArrayList<>();
        List<String> heap = List.of("-Xmx512m");
        try {
            RoundTrip client = switch (this) {
                case GRPC -> {
                    ChildJvm server = ChildJvm.start(MAIN, heap, List.of("grpc"), START_TIMEOUT);
                    children.add(server);
                    yield GrpcEcho.client(Integer.parseInt(server.ready()));
                }
                case HAZELCAST -> {
                    String cluster = "rfaas-bench-" + UUID.randomUUID();
                    ChildJvm server = ChildJvm.start(MAIN, heap, List.of("hazelcast", cluster), START_TIMEOUT);
                    children.add(server);
                    yield HazelcastEcho.client(cluster, Integer.parseInt(server.ready()));
                }
                case HTTP_GATEWAY -> {
                    ChildJvm worker = ChildJvm.start(MAIN, heap, List.of("http-worker"), START_TIMEOUT);
                    children.add(worker);
                    ChildJvm gateway = ChildJvm.start(MAIN, heap, List.of("http-gateway", worker.ready()), START_TIMEOUT);
                    children.add(gateway);
                    yield HttpGatewayEcho.client(Integer.parseInt(gateway.ready()));
                }
            };
            return new WithServers(client, children);
        } catch (IOException | RuntimeException e) {
            children.forEach(ChildJvm::close);
            throw e;
        }
    }

    /** A client that stops its server processes when closed. */
    private record WithServers(RoundTrip client, List<ChildJvm> servers) implements RoundTrip {
        @Override
        public void prepare(int bytes) throws Exception {
            client.prepare(bytes);
        }

        @Override
        public int call() throws Exception {
            return client.call();
        }

        @Override
        public void close() throws Exception {
            try {
                client.close();
            } finally {
                servers.reversed().forEach(ChildJvm::close);
            }
        }
    }
}
