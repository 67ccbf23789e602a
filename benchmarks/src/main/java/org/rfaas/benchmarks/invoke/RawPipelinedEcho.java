package org.rfaas.benchmarks.invoke;

import org.HdrHistogram.Histogram;
import org.rfaas.demo.support.ChildJvm;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The raw transport's pipelined ping-pong that rFaaS pipelines are compared with: up to
 * {@value #MAX_DEPTH} messages in flight, each echoed by a child JVM ({@link RawEcho.Server}) from
 * its receive slot straight back into the same slot on this side (no protocol, no function, no
 * copy), completions taken in by the client's own thread. The server is hot for
 * {@link RawEcho#HOT_TIMEOUT_NANOS} after each message, as the rFaaS executor it is measured beside.
 */
public final class RawPipelinedEcho implements PipelinedLoop {
    /** The deepest pipeline measured, as rFaaS's most slots per worker. */
    public static final int MAX_DEPTH = 64;
    /** The largest pipelined payload plus room for a header, a multiple of 8. */
    static final int SLOT_SIZE = 1024 + 64;

    private final ChildJvm server;
    private final Transport transport;
    private final Connection connection;
    private final MemorySegment out;
    private final Completion completion = new Completion();
    private final long[] sentAt = new long[MAX_DEPTH];
    private final int[] ready = new int[MAX_DEPTH];
    private int bytes;

    private RawPipelinedEcho(ChildJvm server, Transport transport, Connection connection) {
        this.server = server;
        this.transport = transport;
        this.connection = connection;
        this.out = connection.allocateBuffer(SLOT_SIZE);
    }

    private static ConnectionSpec spec() {
        return new ConnectionSpec(MAX_DEPTH, SLOT_SIZE, 0);
    }

    /** Starts a pipelined echo server child ({@link RawEcho.Server}, hot) on {@code transport} and connects to it. */
    public static RawPipelinedEcho start(String transport) throws IOException {
        RawEcho.Connected c = RawEcho.connect(transport, "hot", spec());
        return new RawPipelinedEcho(c.server(), c.transport(), c.connection());
    }

    @Override
    public String system() {
        return "raw";
    }

    @Override
    public void prepare(int bytes) {
        if (bytes > SLOT_SIZE) {
            throw new IllegalArgumentException(bytes + " bytes do not fit the " + SLOT_SIZE + "-byte slots");
        }
        this.bytes = bytes;
        for (int i = 0; i < bytes; i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        connection.write(0, out, 0, bytes, 1);
        while (!connection.poll(completion)) {
            Thread.onSpinWait();
        }
        MemorySegment in = connection.receiveSlot(completion.slot());
        boolean same = completion.length() == bytes && in.asSlice(0, bytes).mismatch(out.asSlice(0, bytes)) < 0;
        connection.release(completion.slot());
        if (!same) {
            throw new IllegalStateException("raw pipelined " + transport.name() + " echo differs from its input");
        }
    }

    @Override
    public long run(int depth, long calls, Histogram latencies) {
        long start = System.nanoTime();
        long sent = 0;
        long done = 0;
        for (; sent < Math.min(depth, calls); sent++) {
            sentAt[(int) sent] = start;
            connection.write((int) sent, out, 0, bytes, (int) sent);
        }
        while (done < calls) {
            if (!connection.poll(completion)) {
                Thread.onSpinWait();
                continue;
            }
            // Take the batch that has arrived, then send the next ones: as a Pipeline's poll and
            // offer do, and so that no message sent in this batch is timed by this batch's clock.
            long now = System.nanoTime();
            int n = 0;
            do {
                int slot = completion.slot();
                if (completion.length() != bytes || slot >= depth) {
                    throw new IllegalStateException("raw echo answered " + completion.length() + " bytes in slot " + slot);
                }
                connection.release(slot);
                if (latencies != null) {
                    latencies.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, now - sentAt[slot])));
                }
                ready[n++] = slot;
            } while (n < depth && connection.poll(completion));
            done += n;
            for (int i = 0; i < n && sent < calls; i++) {
                int slot = ready[i];
                sentAt[slot] = now;
                connection.write(slot, out, 0, bytes, (int) sent++);
            }
        }
        return System.nanoTime() - start;
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
