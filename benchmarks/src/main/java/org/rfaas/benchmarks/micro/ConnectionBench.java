package org.rfaas.benchmarks.micro;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/**
 * The provider's per-message cost without a second process: two connected endpoints in one JVM,
 * one thread writes a 64 B message from A into B's receive slot, then polls B until the completion
 * arrives and releases the slot. For shm that is the ring/slot copy plus the completion publish;
 * for tcp it adds a {@code send} and a {@code recv} system call over loopback (no thread handoff:
 * the kernel has the bytes by the time {@code write} returns, so the poll loop is short).
 *
 * <p>Both {@code write} and {@code poll} are documented allocation-free, so
 * {@code gc.alloc.rate.norm} under {@code -prof gc} must be ≈ 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Thread)
public class ConnectionBench {
    /** Message size: one cache line, the size of a small invocation. */
    public static final int MESSAGE = 64;
    /** Polls without a completion before the benchmark gives up instead of hanging. */
    private static final long MAX_SPINS = 1L << 31;

    @Param({"shm", "tcp"})
    public String transport;

    private Transport opened;
    private Listener listener;
    private Connection a;
    private Connection b;
    private MemorySegment source;
    private final Completion completion = new Completion();
    private int immediate;

    /** Listens and connects inside this JVM; accept runs on a helper thread during setup only. */
    @Setup
    public void setup() throws Exception {
        ConnectionSpec spec = new ConnectionSpec(1, MESSAGE, 0);
        opened = Transports.open(transport);
        listener = opened.listen(transport.equals("shm") ? "shm:" : transport + "://127.0.0.1:0", spec);
        CompletableFuture<Connection> accepted =
                CompletableFuture.supplyAsync(() -> listener.accept(Duration.ofSeconds(30)));
        a = opened.connect(listener.address(), spec, Duration.ofSeconds(30));
        b = accepted.get(30, TimeUnit.SECONDS);
        if (b == null) {
            throw new TransportException("no connection accepted on " + listener.address() + " within 30 s");
        }
        source = a.allocateBuffer(MESSAGE);
        source.fill((byte) 0x5a);
    }

    @TearDown
    public void tearDown() {
        a.close();
        b.close();
        listener.close();
        opened.close();
    }

    /** Write 64 B A→B, spin-poll B until it lands, release the slot; returns the immediate seen. */
    @Benchmark
    public int writePoll64() {
        a.write(0, source, 0, MESSAGE, ++immediate);
        long spins = 0;
        while (!b.poll(completion)) {
            if (++spins == MAX_SPINS) {
                throw new TransportException("message " + immediate + " not delivered after " + spins + " polls");
            }
            Thread.onSpinWait();
        }
        b.release(completion.slot());
        return completion.immediate();
    }
}
