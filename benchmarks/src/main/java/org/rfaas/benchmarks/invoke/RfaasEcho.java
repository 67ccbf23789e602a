package org.rfaas.benchmarks.invoke;

import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.benchmarks.suite.RoundTrip;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * rFaaS round trips of the {@code echo} function on one leased core of an executor manager on
 * this machine (a {@link LocalNode}): one executor allocated hot (mode {@code hot}: a hot timeout of
 * {@value #HOT_TIMEOUT_MICROS} µs, so it spins through every round of back-to-back calls and sleeps
 * while the system measured beside it runs) or {@code ALWAYS_WARM} (mode {@code warm}), invoked through the zero-copy {@link InvocationSlot}
 * API with the client spinning for its reply (a blocking {@code invoke}).
 *
 * <p>The input is written into each slot's registered send buffer once, in {@link #prepare}, as
 * the raw ping-pong writes its buffer once; a call is acquire slot → invoke → release slot.
 */
public final class RfaasEcho implements RoundTrip {
    /** Hot timeout of mode {@code hot}, as the raw echo server's. */
    public static final long HOT_TIMEOUT_MICROS = RawEcho.HOT_TIMEOUT_NANOS / 1000;
    /** Largest payload of the benchmarks. */
    public static final int CAPACITY = 16 << 20;
    /** Longest wait for the node to finish booting spares and training before measuring. */
    private static final java.time.Duration SETTLE_LIMIT = java.time.Duration.ofSeconds(60);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RfaasEcho.class);

    private final RfaasClient client;
    private final RemoteExecutor executor;
    private final int echo;
    private int bytes;

    private RfaasEcho(RfaasClient client, RemoteExecutor executor) {
        this.client = client;
        this.executor = executor;
        this.echo = executor.functionIndex("echo");
    }

    /**
     * Allocates one core in {@code mode} on {@code node} with the example functions and returns the
     * round trip. {@link #close()} releases the lease; the node keeps running.
     */
    public static RfaasEcho start(LocalNode node, String mode) throws Exception {
        HotTimeout hot = switch (mode) {
            case "hot" -> HotTimeout.ofMicros(HOT_TIMEOUT_MICROS);
            case "warm" -> HotTimeout.ALWAYS_WARM;
            default -> throw new IllegalArgumentException("mode must be hot or warm, got " + mode);
        };
        Path pkg = Files.createTempDirectory("rfaas-bench-pkg-");
        RfaasClient client = node.client();
        try {
            RemoteExecutor executor = client.allocate(AllocationSpec.of(1, 512, hot,
                    FunctionPackage.jar(FunctionPackages.javaJar(pkg)), CAPACITY, CAPACITY));
            // The allocation took a spare; its replacement boots now. Measure once it has booted.
            if (!node.awaitSettled(SETTLE_LIMIT)) {
                LOG.warn("the {} node is still booting spare executors or training its AOT cache after {} s;"
                        + " measuring anyway", node.transport(), SETTLE_LIMIT.toSeconds());
            }
            return new RfaasEcho(client, executor);
        } catch (Exception | Error e) {
            client.close();
            throw e;
        } finally {
            try (var files = Files.list(pkg)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(pkg);
        }
    }

    /** The executor, for accounting and scatter. */
    public RemoteExecutor executor() {
        return executor;
    }

    @Override
    public void prepare(int bytes) {
        this.bytes = bytes;
        // Fill every in-flight slot of worker 0, so that whichever one a call gets holds the input.
        List<InvocationSlot> slots = new ArrayList<>();
        try {
            for (int i = 0; i < AllocationSpec.DEFAULT_SLOTS_PER_WORKER; i++) {
                InvocationSlot s = executor.acquireSlot(0);
                slots.add(s);
                MemorySegment in = s.input();
                for (int b = 0; b < bytes; b++) {
                    in.set(ValueLayout.JAVA_BYTE, b, (byte) (b * 31 + 7));
                }
                int n = s.invoke(echo, bytes, executor.outputCapacity(), WaitMode.HOT);
                if (n != bytes || s.output().mismatch(in.asSlice(0, bytes)) >= 0) {
                    throw new IllegalStateException("rfaas echo returned " + n + " bytes that differ from the input");
                }
            }
        } finally {
            slots.forEach(InvocationSlot::close);
        }
    }

    @Override
    public int call() {
        try (InvocationSlot s = executor.acquireSlot(0)) {
            return s.invoke(echo, bytes, executor.outputCapacity(), WaitMode.HOT);
        }
    }

    @Override
    public void close() {
        try {
            executor.close();
        } finally {
            client.close();
        }
    }
}
