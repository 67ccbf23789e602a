package org.rfaas.benchmarks.peers;

import io.grpc.CallOptions;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import org.rfaas.benchmarks.suite.RoundTrip;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC-java peer: a unary {@code rfaas.Echo/Invoke} call carrying raw bytes.
 *
 * <p>No protobuf: the method descriptor uses a byte-array marshaller, which is what a protobuf
 * {@code bytes} message costs minus the (small) varint framing, so gRPC gets its best case. Both
 * sides run on the direct executor (no thread hop per call) with a flow-control window that holds
 * the largest payload: the usual low-latency configuration.
 */
public final class GrpcEcho {
    private GrpcEcho() {
    }

    /** Marshals a {@code byte[]} as itself. */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read a gRPC message", e);
            }
        }
    };

    /** The one method: echo the request. */
    static final MethodDescriptor<byte[], byte[]> INVOKE = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("rfaas.Echo", "Invoke"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    /** Runs the server in this process on 127.0.0.1 and an ephemeral port; returns it started. */
    public static Server startServer() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("rfaas.Echo")
                .addMethod(INVOKE, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
                .directExecutor()
                .maxInboundMessageSize(Payloads.MAX_MESSAGE_BYTES)
                .flowControlWindow(Payloads.MAX_MESSAGE_BYTES)
                .addService(service)
                .build()
                .start();
    }

    /** A client of the server at {@code 127.0.0.1:port}. */
    public static RoundTrip client(int port) {
        return new Client(port);
    }

    private static final class Client implements RoundTrip {
        private final ManagedChannel channel;
        private byte[] input = new byte[0];

        Client(int port) {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port, InsecureChannelCredentials.create())
                    .directExecutor()
                    .maxInboundMessageSize(Payloads.MAX_MESSAGE_BYTES)
                    .flowControlWindow(Payloads.MAX_MESSAGE_BYTES)
                    .build();
        }

        @Override
        public void prepare(int bytes) {
            input = Payloads.input(bytes);
            Payloads.checkEcho("grpc", input, ClientCalls.blockingUnaryCall(channel, INVOKE, CallOptions.DEFAULT, input));
        }

        @Override
        public int call() {
            return ClientCalls.blockingUnaryCall(channel, INVOKE, CallOptions.DEFAULT, input).length;
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
