package org.rfaas.benchmarks.peers;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import org.rfaas.benchmarks.suite.RoundTrip;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.Callable;

/**
 * The Hazelcast peer: an {@link IExecutorService} task that returns its input, submitted by a
 * Hazelcast client in the benchmark process to a member in a separate server process.
 *
 * <p>The cluster is loopback only: no multicast, TCP/IP join on 127.0.0.1, phone-home off, and a
 * cluster name of its own so that it never meets another cluster. The task is {@link
 * DataSerializable} (Hazelcast's own compact format) rather than Java-serialized, its best case.
 */
public final class HazelcastEcho {
    private HazelcastEcho() {
    }

    /** The executor service that runs the echo tasks. */
    static final String EXECUTOR = "rfaas-echo";

    /** Properties that keep Hazelcast local and quiet; applied to members and clients. */
    private static void quiet() {
        System.setProperty("hazelcast.phone.home.enabled", "false");
        System.setProperty("hazelcast.logging.type", "slf4j");
        System.setProperty("hazelcast.socket.bind.any", "false");
        System.setProperty("hazelcast.shutdownhook.enabled", "false");
    }

    /** Starts a member on 127.0.0.1 with a free port in this process and returns the port. */
    public static int startMember(String clusterName) throws IOException {
        quiet();
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + port);
        config.getExecutorConfig(EXECUTOR).setPoolSize(2);
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        return member.getCluster().getLocalMember().getAddress().getPort();
    }

    /** A client of the member at {@code 127.0.0.1:port} in cluster {@code clusterName}. */
    public static RoundTrip client(String clusterName, int port) {
        return new Client(clusterName, port);
    }

    /** The task: returns its input. Runs on the member. */
    public static final class EchoTask implements Callable<byte[]>, DataSerializable {
        private byte[] input;

        /** For deserialization. */
        public EchoTask() {
        }

        EchoTask(byte[] input) {
            this.input = input;
        }

        @Override
        public byte[] call() {
            return input;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeByteArray(input);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            input = in.readByteArray();
        }
    }

    private static final class Client implements RoundTrip {
        private final HazelcastInstance client;
        private final IExecutorService executor;
        private EchoTask task = new EchoTask(new byte[0]);

        Client(String clusterName, int port) {
            quiet();
            ClientConfig config = new ClientConfig();
            config.setClusterName(clusterName);
            config.setProperty("hazelcast.phone.home.enabled", "false");
            config.getNetworkConfig().addAddress("127.0.0.1:" + port);
            config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(30_000);
            client = HazelcastClient.newHazelcastClient(config);
            executor = client.getExecutorService(EXECUTOR);
        }

        @Override
        public void prepare(int bytes) throws Exception {
            byte[] input = Payloads.input(bytes);
            task = new EchoTask(input);
            Payloads.checkEcho("hazelcast", input, executor.submit(task).get());
        }

        @Override
        public int call() throws Exception {
            return executor.submit(task).get().length;
        }

        @Override
        public void close() {
            client.shutdown();
        }
    }
}
