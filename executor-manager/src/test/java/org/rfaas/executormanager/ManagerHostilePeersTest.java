package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.protocol.AllocationRefusal;
import org.rfaas.protocol.AllocationRequest;
import org.rfaas.protocol.AllocationResponse;
import org.rfaas.protocol.ExecutorShape;
import org.rfaas.protocol.PackageKind;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Transport;
import org.rfaas.transport.Transports;
import org.rfaas.transport.Wire;

/**
 * An executor manager's tcp listener with peers from 127.0.0.2 that complete the transport
 * handshake and then say nothing, while a well-behaved client on 127.0.0.1 measures its
 * allocation calls (refused here, for want of cores, so that no executor starts): its median
 * stays within 50 ms of the unloaded one; the idle peers past
 * {@link ConnectionAdmission#MAX_UNPROVEN_PER_SOURCE} are closed at once and hold no thread; the
 * rest are closed after the first-message timeout, not 10 s later.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ManagerHostilePeersTest {
    private static final int IDLE = ConnectionAdmission.MAX_UNPROVEN_PER_SOURCE + 40;
    @TempDir
    Path dir;
    private ExecutorManager manager;
    private Transport tcp;
    private String address;
    private final List<Socket> hostile = new ArrayList<>();

    @BeforeEach
    void start() {
        ExecutorManagerConfig config = ExecutorManagerConfig.of("m", List.of("tcp://127.0.0.1:0"), 1, 256, dir)
                .withSpareExecutors(0).withSpareMemoryMiB(0);
        manager = new ExecutorManager(config, null);
        address = manager.start().getFirst();
        tcp = Transports.open("tcp");
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : hostile) {
            s.close();
        }
        tcp.close();
        manager.close();
    }

    /** Opens a tcp connection from 127.0.0.2 and completes the transport handshake by hand. */
    private Socket idlePeer() throws IOException {
        URI uri = URI.create(address);
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
        ByteBuffer hs = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        hs.putShort(Wire.MAGIC).put(Wire.VERSION).put((byte) 1) // HANDSHAKE
                .putShort((short) 0).putShort((short) 0).putInt(0) // flags, reserved, length
                .putInt(2).putInt(4096).putInt(0).putLong(0); // slots, slot size, reserved, counters
        s.getOutputStream().write(hs.array());
        hostile.add(s);
        return s;
    }

    /** One allocation call (connect, request, answer); returns its time in ms. */
    private double call() {
        long t0 = System.nanoTime();
        try (Connection c = tcp.connect(address, new ConnectionSpec(2, 8192, 0), Duration.ofSeconds(10))) {
            MemorySegment buffer = c.allocateBuffer(8192);
            // two cores on a one-core node: refused at once, no executor started
            int n = new AllocationRequest(0, 1, new ExecutorShape(2, 128, 0, 2, 64, 64), 60_000, PackageKind.JAR, 1,
                    "", "tcp://127.0.0.1:1", List.of()).encode(buffer, 0);
            c.write(0, buffer, 0, n, 0);
            Completion done = new Completion();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!c.await(done, 100_000_000L)) {
                assertTrue(System.nanoTime() < until, "no answer to an allocation request");
            }
            AllocationResponse r = AllocationResponse.decode(c.receiveSlot(done.slot()), 0, done.length());
            assertEquals(AllocationRefusal.INSUFFICIENT_CAPACITY, r.refusal(), r.message());
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private double medianOf(int calls) {
        double[] ms = new double[calls];
        for (int i = 0; i < calls; i++) {
            ms[i] = call();
        }
        Arrays.sort(ms);
        return ms[calls / 2];
    }

    @Test
    void idlePeersAreBoundedAndDoNotSlowAClient() throws Exception {
        medianOf(5); // warm up
        double unloaded = medianOf(15);
        for (int i = 0; i < IDLE; i++) {
            idlePeer();
        }
        double loaded = medianOf(15);
        System.out.println(String.format("allocation call median: alone %.2f ms, beside %d idle peers %.2f ms", unloaded, IDLE, loaded));
        assertTrue(loaded <= unloaded + 50, "allocation calls took " + loaded + " ms (median) beside " + IDLE
                + " idle peers, " + unloaded + " ms alone");
        assertTrue(manager.unprovenConnections() <= ConnectionAdmission.MAX_UNPROVEN_PER_SOURCE,
                manager.unprovenConnections() + " idle connections kept, at most "
                        + ConnectionAdmission.MAX_UNPROVEN_PER_SOURCE + " per source");
        long threads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("rfaas-em-conn"))
                .count();
        assertTrue(threads <= ConnectionAdmission.MAX_UNPROVEN_PER_SOURCE + 2, threads + " connection threads");
        // those past the limit were closed at once; the others at the first-message timeout
        int closed = 0;
        for (Socket s : hostile) {
            if (endsWithin(s, 200)) {
                closed++;
            }
        }
        assertTrue(closed >= IDLE - ConnectionAdmission.MAX_UNPROVEN_PER_SOURCE, closed + " closed at once");
        long until = System.nanoTime() + ConnectionAdmission.FIRST_MESSAGE_TIMEOUT_NANOS + TimeUnit.SECONDS.toNanos(2);
        while (manager.unprovenConnections() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(0, manager.unprovenConnections(), "idle connections are closed after the first-message timeout");
        double after = medianOf(5);
        assertTrue(after <= unloaded + 50, "calls after the flood took " + after + " ms");
    }

    /** Whether the manager closes the socket (after its 32-byte HANDSHAKE answer) within {@code ms}. */
    private static boolean endsWithin(Socket s, int ms) throws IOException {
        s.setSoTimeout(ms);
        InputStream in = s.getInputStream();
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
