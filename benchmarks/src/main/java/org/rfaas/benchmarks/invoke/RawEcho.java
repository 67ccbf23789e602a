package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.ChildJvm;
import org.rfaas.demo.support.LocalAddress;
import org.rfaas.benchmarks.suite.RoundTrip;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;

/**
 * The raw transport ping-pong that rFaaS is compared with: the same transport, the same process
 * layout (client here, echo server in a child JVM), no invocation protocol and no function.
 *
 * <p>The server writes each input straight back from its receive slot, and where the transport
 * shares memory with the peer (shm) the client builds its input in the server's receive slot
 * ({@link Connection#sharedPeerSlot}), as the rFaaS client does: so this is the floor an
 * invocation over the same transport can reach, one copy of the payload per round trip on shm
 * (the echo's) and the kernel's on tcp. Mode {@code hot}: the server spins on
 * {@link Connection#poll} until {@link #HOT_TIMEOUT_NANOS} pass without input, then sleeps until
 * the next one (the rFaaS executor's hot timeout, so that a hot server does not steal the core of
 * the system measured next to it); {@code warm}: it always sleeps in {@link Connection#await}. The
 * client always spins for its answer, as a blocking rFaaS {@code invoke} does.
 */
public final class RawEcho {
    private RawEcho() {
    }

    /**
     * How long a hot server spins without input before it sleeps: 1 ms, as {@link RfaasEcho}'s
     * executors. Long enough that back-to-back calls never find it asleep, short enough that it
     * stops competing for the machine's two cores soon after the other system's round begins.
     */
    public static final long HOT_TIMEOUT_NANOS = 1_000_000L;

    /** Receive slots on each side: enough for one outstanding round trip plus one being released. */
    static final int SLOTS = 2;
    /** Largest payload (16 MiB) plus room for any header, a multiple of 8. */
    static final int SLOT_SIZE = (16 << 20) + 4096;

    private static ConnectionSpec spec() {
        return new ConnectionSpec(SLOTS, SLOT_SIZE, 0);
    }


    /** Starts an echo server child on {@code transport} in {@code mode} and connects to it. */
    public static RoundTrip start(String transport, String mode) throws IOException {
        if (!mode.equals("hot") && !mode.equals("warm")) {
            throw new IllegalArgumentException("mode must be hot or warm, got " + mode);
        }
        Connected c = connect(transport, mode, spec());
        return new Client(c.server(), c.transport(), c.connection());
    }

    /** A server child and this side's connection to it. */
    record Connected(ChildJvm server, Transport transport, Connection connection) {
    }

    /** Starts a {@link Server} child with {@code spec} on both sides and connects to it. */
    static Connected connect(String transport, String mode, ConnectionSpec spec) throws IOException {
        ChildJvm server = ChildJvm.start(Server.class.getName(), List.of("-Xmx256m"), List.of(transport, mode,
                Integer.toString(spec.slots()), Integer.toString(spec.slotSize())), Duration.ofSeconds(60));
        Transport t = null;
        try {
            t = Transports.open(transport);
            return new Connected(server, t, t.connect(server.ready(), spec, Duration.ofSeconds(20)));
        } catch (RuntimeException e) {
            if (t != null) {
                t.close();
            }
            server.close();
            throw e;
        }
    }

    private static final class Client implements RoundTrip {
        private final ChildJvm server;
        private final Transport transport;
        private final Connection connection;
        private final MemorySegment out;
        private final Completion completion = new Completion();
        private int bytes;
        private int sequence;

        Client(ChildJvm server, Transport transport, Connection connection) {
            this.server = server;
            this.transport = transport;
            this.connection = connection;
            this.out = connection.sharedPeerSlot(0).orElseGet(() -> connection.allocateBuffer(SLOT_SIZE));
        }

        @Override
        public void prepare(int bytes) {
            this.bytes = bytes;
            for (int i = 0; i < bytes; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            int n = roundTrip();
            MemorySegment in = connection.receiveSlot(completion.slot());
            boolean same = n == bytes && in.asSlice(0, n).mismatch(out.asSlice(0, bytes)) < 0;
            connection.release(completion.slot());
            if (!same) {
                throw new IllegalStateException("raw " + transport.name() + " echo differs from its input");
            }
        }

        @Override
        public int call() {
            int n = roundTrip();
            connection.release(completion.slot());
            return n;
        }

        /** Sends the input and spins for the answer, leaving its slot unreleased. */
        private int roundTrip() {
            int imm = ++sequence;
            connection.write(0, out, 0, bytes, imm);
            while (!connection.poll(completion)) {
                Thread.onSpinWait();
            }
            if (completion.immediate() != imm) {
                throw new IllegalStateException("raw echo answered immediate " + completion.immediate() + ", sent " + imm);
            }
            return completion.length();
        }

        @Override
        public void close() {
            try {
                connection.close();
                transport.close();
            } finally {
                server.close();
            }
        }
    }

    /**
     * The echo server process: {@code Server TRANSPORT hot|warm SLOTS SLOT_SIZE}. Prints
     * {@code READY <address>}, echoes each message into the same slot on the client's side (so a
     * pipelined client may have one message in flight per slot) until the connection closes, and
     * exits when stdin closes.
     */
    public static final class Server {
        private Server() {
        }

        public static void main(String[] args) throws Exception {
            String transport = args[0];
            boolean hot = args[1].equals("hot");
            Transport t = Transports.open(transport);
            Listener listener = t.listen(LocalAddress.of(transport), new ConnectionSpec(Integer.parseInt(args[2]),
                    Integer.parseInt(args[3]), 0));
            Thread serve = Thread.ofPlatform().name("raw-echo").daemon().start(() -> serve(listener, hot));
            ChildJvm.announceAndAwaitParent(listener.address());
            serve.interrupt();
            t.close();
            System.exit(0);
        }

        /** Echo loop; allocation-free once the connection is up. */
        private static void serve(Listener listener, boolean hot) {
            Connection c = null;
            while (c == null) {
                c = listener.accept(Duration.ofSeconds(1));
            }
            Completion done = new Completion();
            long lastInput = System.nanoTime();
            try {
                while (c.isOpen()) {
                    boolean spin = hot && System.nanoTime() - lastInput < HOT_TIMEOUT_NANOS;
                    boolean got = spin ? c.poll(done) : c.await(done, 1_000_000_000L);
                    if (!got) {
                        if (spin) {
                            Thread.onSpinWait();
                        }
                        continue;
                    }
                    lastInput = System.nanoTime();
                    c.write(done.slot(), c.receiveSlot(done.slot()), 0, done.length(), done.immediate());
                    c.release(done.slot());
                }
            } catch (RuntimeException e) {
                // The client went away (PeerFailedException) or closed: the server's job is done.
                System.err.println("raw echo server stops: " + e);
            }
        }
    }
}
