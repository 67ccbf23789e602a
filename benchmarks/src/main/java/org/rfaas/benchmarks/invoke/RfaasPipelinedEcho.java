package org.rfaas.benchmarks.invoke;

import org.HdrHistogram.Histogram;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.Pipeline;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.demo.support.LatencyStats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * rFaaS pipelined echo calls through {@link Pipeline} on one hot leased core of a local node:
 * up to {@value RawPipelinedEcho#MAX_DEPTH} calls in flight, completed by the measuring thread's
 * own duty cycle (no poller thread).
 */
public final class RfaasPipelinedEcho implements PipelinedLoop, Pipeline.Handler {
    private static final int CAPACITY = 1024;

    private final RfaasClient client;
    private final RemoteExecutor executor;
    private final int echo;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment input = arena.allocate(CAPACITY, 8);
    private final long[] sentAt = new long[RawPipelinedEcho.MAX_DEPTH];
    private MemorySegment view;
    private int bytes;
    private Histogram latencies;
    private long now;
    /** The clock read once per poll that completed calls (as the raw loop reads it once per batch). */
    private long stamp;
    private long done;
    private String wrong;

    private RfaasPipelinedEcho(RfaasClient client, RemoteExecutor executor) {
        this.client = client;
        this.executor = executor;
        this.echo = executor.functionIndex("echo");
    }

    /** Allocates one hot core with {@value RawPipelinedEcho#MAX_DEPTH} slots on {@code node}. */
    public static RfaasPipelinedEcho start(LocalNode node) throws Exception {
        Path pkg = Files.createTempDirectory("rfaas-bench-pipe-");
        RfaasClient client = node.client();
        try {
            RemoteExecutor executor = client.allocate(AllocationSpec.of(1, 256,
                    HotTimeout.ofMicros(RfaasEcho.HOT_TIMEOUT_MICROS), FunctionPackage.jar(FunctionPackages.javaJar(pkg)),
                    CAPACITY, CAPACITY).withSlotsPerWorker(RawPipelinedEcho.MAX_DEPTH));
            node.awaitSettled(java.time.Duration.ofSeconds(60));
            return new RfaasPipelinedEcho(client, executor);
        } catch (Exception | Error e) {
            client.close();
            throw e;
        } finally {
            FunctionPackages.deleteTree(pkg);
        }
    }

    @Override
    public String system() {
        return "rfaas";
    }

    @Override
    public void prepare(int bytes) {
        this.bytes = bytes;
        for (int i = 0; i < bytes; i++) {
            input.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        view = input.asSlice(0, bytes);
        byte[] out = executor.invoke("echo", view.toArray(ValueLayout.JAVA_BYTE));
        if (MemorySegment.ofArray(out).mismatch(view) >= 0) {
            throw new IllegalStateException("rfaas pipelined echo differs from its input");
        }
    }

    @Override
    public long run(int depth, long calls, Histogram latencies) {
        this.latencies = latencies;
        done = 0;
        wrong = null;
        long start;
        long sent = 0;
        try (Pipeline p = executor.pipeline(depth)) {
            start = System.nanoTime();
            now = start;
            while (done < calls) {
                while (sent < calls && p.inFlight() < depth) {
                    sentAt[(int) (sent & (RawPipelinedEcho.MAX_DEPTH - 1))] = now;
                    p.offer(0, echo, view, sent++);
                }
                stamp = 0;
                if (p.poll(this) == 0) {
                    Thread.onSpinWait();
                }
                now = stamp != 0 ? stamp : System.nanoTime();
            }
        }
        if (wrong != null) {
            throw new IllegalStateException(wrong);
        }
        return System.nanoTime() - start;
    }

    @Override
    public void onReply(long callId, int worker, MemorySegment output) {
        done++;
        if (output.byteSize() != bytes) {
            wrong = "call " + callId + " echoed " + output.byteSize() + " bytes of " + bytes;
        }
        if (stamp == 0) {
            stamp = System.nanoTime();
        }
        if (latencies != null) {
            latencies.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS,
                    stamp - sentAt[(int) (callId & (RawPipelinedEcho.MAX_DEPTH - 1))])));
        }
    }

    @Override
    public void onFailure(long callId, int worker, RfaasException error) {
        throw error;
    }

    @Override
    public void close() {
        try {
            executor.close();
        } finally {
            client.close();
            arena.close();
        }
    }
}
