package org.rfaas.benchmarks.transport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.rfaas.benchmarks.common.Affinity;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.demo.support.NativeEnvironment;
import org.rfaas.transport.Completion;
import org.rfaas.transport.Connection;
import org.rfaas.transport.ConnectionSpec;
import org.rfaas.transport.Listener;
import org.rfaas.transport.Transport;
import org.rfaas.transport.TransportException;
import org.rfaas.transport.Transports;

/**
 * Our side of the transport ping-pong: this JVM listens, starts {@link PongMain} in a child JVM on
 * the same class path, and measures round trips over the connection the child makes.
 *
 * <p>One round trip: write {@code bytes} from a registered buffer into the pong's slot 0, wait for
 * the echo (spin on {@code poll} when hot, {@code await} when warm), copy the echo out of the
 * receive slot into private memory, release the slot. That is the same data movement as the C
 * references (ping copies in, pong echoes slot to slot, ping copies out). The timed loop allocates
 * nothing: the completion, buffers and histogram are created once.
 */
final class PingSide implements AutoCloseable {
    private static final long WAIT_LIMIT_NS = 10_000_000_000L;
    private static final long AWAIT_SLICE_NS = 500_000_000L;
    private static final Duration CHILD_START_LIMIT = Duration.ofSeconds(90);

    private final String transportName;
    private final int cpuPing;
    private final int slotBytes;
    private final Transport transport;
    private final Listener listener;
    private final Process pong;
    private final ArrayDeque<String> pongOutput = new ArrayDeque<>();
    private final Connection conn;
    private final MemorySegment sendBuffer;
    private final MemorySegment receiveSlot;
    private final MemorySegment privateCopy;
    private final Arena arena = Arena.ofShared();
    private final Completion completion = new Completion();
    private final Histogram histogram = LatencyStats.newHistogram();
    private int sequence;

    /**
     * Opens {@code transportName}, listens on loopback, starts the pong JVM and accepts its
     * connection.
     *
     * @throws TransportException when the transport cannot be opened here, or the pong fails
     */
    PingSide(String transportName, int slotBytes, int cpuPing, int cpuPong) {
        this.transportName = transportName;
        this.cpuPing = cpuPing;
        this.slotBytes = slotBytes;
        ConnectionSpec spec = new ConnectionSpec(1, slotBytes, 0);
        this.transport = Transports.open(transportName);
        Listener l = null;
        Process p = null;
        Connection c = null;
        try {
            l = transport.listen(ListenAddresses.forTransport(transportName), spec);
            p = startPong(transportName, l.address(), slotBytes, cpuPong);
            c = acceptFrom(l, p);
        } catch (RuntimeException e) {
            if (p != null) {
                p.destroyForcibly();
            }
            if (l != null) {
                l.close();
            }
            transport.close();
            throw e;
        }
        this.listener = l;
        this.pong = p;
        this.conn = c;
        this.sendBuffer = conn.allocateBuffer(slotBytes);
        this.receiveSlot = conn.receiveSlot(0);
        this.privateCopy = arena.allocate(slotBytes, 64);
        sendBuffer.fill((byte) 0x5a);
    }

    /** The transport name, e.g. {@code fabric:tcp}. */
    String transportName() {
        return transportName;
    }

    /**
     * Warms both JVMs up until their loops are compiled for every size: cycles of hot round trips
     * at each of {@code sizes} (fewer for large ones) plus a few warm ones, for at least
     * {@code min}, then until the smallest size's hot median of three consecutive cycles agrees
     * within 10 %, for at most {@code max}. Cycling through the sizes matters: a loop compiled
     * while it only saw 8 B messages is deoptimized, and recompiled during a timed row, at the
     * first 64 B one. On a loaded machine the JIT threads get little CPU, so a fixed warm-up time
     * can end too early; waiting for stable cycles adapts to that. Stable is not enough, though: a
     * loop can run steadily in C1 code while its C2 compilation waits for a CPU, so the cycles must
     * also be free of compilation in this JVM (the compile time of {@link CompilationMXBean} did
     * not move); the pong JVM compiles in the foreground ({@code -XX:-BackgroundCompilation}), so
     * its loop is never left behind on a queued compilation.
     *
     * @return the smallest size's hot median in the last cycle, in ns
     */
    long warmUp(List<Integer> sizes, Duration min, Duration max) {
        int smallest = sizes.stream().mapToInt(Integer::intValue).min().orElse(8);
        long start = System.nanoTime();
        long[] last = {Long.MAX_VALUE / 4, Long.MAX_VALUE / 2, Long.MAX_VALUE};
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTime = jit != null && jit.isCompilationTimeMonitoringSupported();
        Optional<byte[]> saved = Affinity.pinCurrentThread(cpuPing);
        try {
            while (true) {
                long compiledBefore = jitTime ? jit.getTotalCompilationTime() : 0;
                for (int bytes : sizes) {
                    int n = bytes <= 1024 ? 1000 : bytes <= 64 * 1024 ? 100 : 10;
                    for (int i = 0; i < n; i++) {
                        roundTrip(bytes, 0, true);
                    }
                }
                for (int i = 0; i < 20; i++) {
                    roundTrip(smallest, PingPongWire.WARM_NEXT, false);
                }
                histogram.reset();
                for (int i = 0; i < 2000; i++) {
                    histogram.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, roundTrip(smallest, 0, true))));
                }
                last[0] = last[1];
                last[1] = last[2];
                last[2] = histogram.getValueAtPercentile(50.0);
                long lo = Math.min(last[0], Math.min(last[1], last[2]));
                long hi = Math.max(last[0], Math.max(last[1], last[2]));
                long elapsed = System.nanoTime() - start;
                boolean compiling = jitTime && jit.getTotalCompilationTime() != compiledBefore;
                if (elapsed >= max.toNanos() || (elapsed >= min.toNanos() && (hi - lo) * 10 <= hi && !compiling)) {
                    break;
                }
                // both spinning threads would starve the JIT compiler threads on a 2-CPU machine:
                // park the pong and pause, so queued compilations finish between cycles
                roundTrip(smallest, PingPongWire.WARM_NEXT, true);
                pause(Duration.ofMillis(50));
            }
            roundTrip(smallest, PingPongWire.WARM_NEXT, true); // let the pong sleep again
        } finally {
            saved.ifPresent(Affinity::restore);
        }
        return last[2];
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportException("interrupted while warming up");
        }
    }

    /**
     * A short pilot of {@code mode} round trips at {@code bytes} (at most {@code maxIters}, at most
     * about {@code budget}); returns their mean wall time per round trip in ns, used to size the
     * timed rounds. The mean, not the median: on a loaded machine a few descheduled round trips
     * dominate the wall time, and a round sized by the median would overrun its budget many times.
     */
    long pilotMeanNanos(int bytes, Mode mode, int maxIters, Duration budget) {
        Optional<byte[]> saved = Affinity.pinCurrentThread(cpuPing);
        try {
            int flags = mode == Mode.WARM ? PingPongWire.WARM_NEXT : 0;
            boolean hot = mode == Mode.HOT;
            for (int i = 0; i < 10; i++) {
                roundTrip(bytes, flags, hot); // the first ones wake the pong and touch cold memory
            }
            long start = System.nanoTime();
            long end = start + budget.toNanos();
            int iters = 0;
            do {
                roundTrip(bytes, flags, hot);
            } while (++iters < maxIters && System.nanoTime() < end);
            long mean = (System.nanoTime() - start) / iters;
            if (hot) {
                roundTrip(bytes, PingPongWire.WARM_NEXT, true);
            }
            return mean;
        } finally {
            saved.ifPresent(Affinity::restore);
        }
    }

    /**
     * One timed round: {@code warmup} untimed then {@code iters} timed round trips of
     * {@code bytes} in {@code mode}, with this thread pinned to the ping CPU.
     */
    LatencyStats round(int bytes, Mode mode, int iters, int warmup) {
        if (bytes > slotBytes) {
            throw new IllegalArgumentException(bytes + " B does not fit the " + slotBytes + " B slots");
        }
        histogram.reset();
        int flags = mode == Mode.WARM ? PingPongWire.WARM_NEXT : 0;
        boolean hot = mode == Mode.HOT;
        Optional<byte[]> saved = Affinity.pinCurrentThread(cpuPing);
        try {
            for (int i = 0; i < warmup; i++) {
                roundTrip(bytes, flags, hot);
            }
            for (int i = 0; i < iters; i++) {
                histogram.recordValue(Math.max(1, Math.min(LatencyStats.HISTOGRAM_MAX_NS, roundTrip(bytes, flags, hot))));
            }
            if (hot) {
                roundTrip(bytes, PingPongWire.WARM_NEXT, true); // untimed: parks the pong
            }
        } finally {
            saved.ifPresent(Affinity::restore);
        }
        return LatencyStats.of(histogram);
    }

    /** One round trip; returns its duration in ns. Allocates nothing. */
    private long roundTrip(int bytes, int flags, boolean hot) {
        int imm = (sequence++ & PingPongWire.SEQ_MASK) | flags;
        Completion c = completion;
        long t0 = System.nanoTime();
        conn.write(0, sendBuffer, 0, bytes, imm);
        if (hot) {
            long spins = 0;
            while (!conn.poll(c)) {
                Thread.onSpinWait();
                if ((++spins & 0xFFFFF) == 0 && System.nanoTime() - t0 > WAIT_LIMIT_NS) {
                    throw noAnswer();
                }
            }
        } else {
            while (!conn.await(c, AWAIT_SLICE_NS)) {
                if (System.nanoTime() - t0 > WAIT_LIMIT_NS) {
                    throw noAnswer();
                }
            }
        }
        MemorySegment.copy(receiveSlot, 0, privateCopy, 0, c.length());
        conn.release(c.slot());
        long t1 = System.nanoTime();
        if (c.immediate() != imm || c.length() != bytes || c.slot() != 0) {
            throw new IllegalStateException("pong answered " + c + " to a " + bytes + " B message with immediate 0x"
                    + Integer.toHexString(imm) + " (the transport mixed up messages)");
        }
        return t1 - t0;
    }

    private TransportException noAnswer() {
        return new TransportException("the pong over " + transportName + " did not answer within "
                + WAIT_LIMIT_NS / 1_000_000_000L + " s; its output: " + pongOutput());
    }

    /** The last lines the pong JVM printed, for error messages. */
    String pongOutput() {
        synchronized (pongOutput) {
            return pongOutput.isEmpty() ? "(nothing)" : String.join(" | ", pongOutput);
        }
    }

    private Process startPong(String name, String address, int slotBytes, int cpuPong) {
        String java = ProcessHandle.current().info().command().orElseThrow(
                () -> new TransportException("cannot find the java executable of this JVM to start the pong"));
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-XX:-BackgroundCompilation",
                "-Xss1m", "-cp", System.getProperty("java.class.path"), PongMain.class.getName(), name, address,
                Integer.toString(slotBytes), Integer.toString(cpuPong)));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putIfAbsent(NativeEnvironment.LIBFABRIC_SIGNAL_GUARD, "1");
            Process p = pb.start();
            Thread.ofPlatform().daemon().name("pong-output").start(() -> collect(p));
            return p;
        } catch (IOException e) {
            throw new TransportException("cannot start the pong JVM (" + java + "): " + e.getMessage(), e);
        }
    }

    private void collect(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (pongOutput) {
                    if (pongOutput.size() == 20) {
                        pongOutput.removeFirst();
                    }
                    pongOutput.addLast(line);
                }
            }
        } catch (IOException e) {
            // the pipe closed with the process: nothing more to collect
        }
    }

    private Connection acceptFrom(Listener l, Process p) {
        long end = System.nanoTime() + CHILD_START_LIMIT.toNanos();
        while (System.nanoTime() < end) {
            Connection c = l.accept(Duration.ofMillis(250));
            if (c != null) {
                return c;
            }
            if (!p.isAlive()) {
                throw new TransportException("the pong JVM exited with " + p.exitValue() + " before connecting: "
                        + pongOutput());
            }
        }
        throw new TransportException("the pong JVM did not connect within " + CHILD_START_LIMIT.toSeconds()
                + " s: " + pongOutput());
    }

    /** Stops the pong (politely, then forcibly) and closes everything. */
    @Override
    public void close() {
        try {
            if (conn.isOpen()) {
                conn.write(0, sendBuffer, 0, 0, PingPongWire.STOP);
            }
        } catch (TransportException e) {
            // the pong is already gone; it is destroyed below either way
        } finally {
            try {
                if (!pong.waitFor(3, TimeUnit.SECONDS)) {
                    pong.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                pong.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            conn.close();
            listener.close();
            transport.close();
            arena.close();
        }
    }
}
