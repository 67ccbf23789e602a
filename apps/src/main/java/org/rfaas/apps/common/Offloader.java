package org.rfaas.apps.common;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.client.rm.TenantKey;

/**
 * One rank's lease and the batches it sends there, driven by the rank's own thread: it packs a
 * batch straight into a slot's registered input and submits it, computes a piece of its local
 * share, takes in the replies that arrived (unpacking each and submitting that worker's next
 * batch into the freed slot), and so on; then waits for the last replies. No second thread
 * competes with the rank for its core, and with {@code --depth} (default 2) calls in flight per
 * worker the executor finds its next batch already there when it finishes one.
 *
 * <p>Every function's output ends with the kernel's compute time (int64 ns), so the round trip
 * splits into transfer (packing and unpacking on the rank), remote compute and the rest
 * (network, queueing, protocol) — see {@link #stats()}.
 */
public final class Offloader implements AutoCloseable {
    /** One offloaded piece of work. */
    public interface Batch {
        /** Writes the input into {@code in} (the registered send buffer) and returns its length. */
        int fill(MemorySegment in);

        /** Reads the result ({@code length} bytes of {@code out}, without the time trailer). */
        void drain(MemorySegment out, int length);
    }

    /** Computes items [from, from + count) of the rank's own share (options, rows). */
    @FunctionalInterface
    public interface LocalKernel {
        /** Computes {@code count} items from {@code from}. */
        void compute(int from, int count);
    }

    /**
     * Times of one round, in nanoseconds: the rank's own kernel, waiting for its executors after it,
     * and the offloading work the rank did besides (packing and submitting batches, taking in
     * replies between its pieces).
     */
    public record Round(long local, long waiting, long offloading) {
    }

    /**
     * How long a piece of local work should take: replies wait at most this long to be taken in
     * (and the worker's next batch to go out) while the rank computes; each piece boundary costs
     * one poll per call in flight (a non-blocking read, about a microsecond on tcp).
     */
    private static final long PIECE_NANOS = 20_000;

    private final RfaasClient client;
    private final RemoteExecutor executor;
    private final int function;
    private final int cores;
    private final int depth;
    private final WaitMode waitMode;
    private final long leaseNanos;
    /** [worker][depth]: the slots, and the batch each carries (-1: none) and when it went out. */
    private final InvocationSlot[][] slots;
    private final int[][] carried;
    private final long[][] sentAt;
    private final int[] nextBatch;
    /** Per worker: when its last reply of this round was taken in (a queued call starts after it). */
    private final long[] lastDone;
    // per worker, the current round's counters
    private final long[] transfer;
    private final long[] roundTrip;
    private final long[] remote;
    private final long[] calls;
    /** The fill time of each slot's call in flight, and every call's overhead this round (up to the capacity). */
    private final long[][] fillNanos;
    private final long[] overheads = new long[1 << 16];
    private int overheadCount;
    private List<? extends Batch> batches;
    private int inFlight;

    /**
     * Takes a lease of {@code --cores} cores (default 1) with {@code --depth} slots per worker
     * (default 2) and ships the package (the Java JAR or, with {@code --kernel native}, the native
     * library).
     */
    public Offloader(AppArgs args, Path functionPackage, String functionName, int inputCapacity, int outputCapacity) {
        RfaasClient.Builder b = RfaasClient.builder();
        if (args.has("resource-manager")) {
            String keyFile = args.string("api-key-file", null);
            b.leaseSource(new ResourceManagerLeaseSource(URI.create(args.string("resource-manager", null)),
                    args.string("tenant", "apps"), TenantKey.resolve(keyFile == null ? null : Path.of(keyFile))));
        } else if (args.has("executors")) {
            b.executorsDatabase(Path.of(args.string("executors", null)));
        } else {
            throw new IllegalArgumentException("--offload > 0 needs --executors FILE or --resource-manager URL");
        }
        cores = args.integer("cores", 1);
        depth = args.integer("depth", 2);
        if (cores < 1 || depth < 1 || depth > 64) {
            throw new IllegalArgumentException("--cores must be at least 1 and --depth 1..64");
        }
        waitMode = args.string("wait", "warm").equals("hot") ? WaitMode.HOT : WaitMode.WARM;
        FunctionPackage pkg = args.nativeKernel() ? FunctionPackage.nativeLibrary(functionPackage, AppPackages.FUNCTIONS)
                : FunctionPackage.jar(functionPackage);
        AllocationSpec spec = AllocationSpec.of(cores, args.integer("memory", 256),
                HotTimeout.ofMicros(args.integer("hot-timeout", 2_000)), pkg, inputCapacity, outputCapacity)
                .withSlotsPerWorker(depth);
        long t0 = System.nanoTime();
        client = b.build();
        try {
            executor = client.allocate(spec);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        leaseNanos = System.nanoTime() - t0;
        function = executor.functionIndex(functionName);
        slots = new InvocationSlot[cores][depth];
        for (int w = 0; w < cores; w++) {
            for (int d = 0; d < depth; d++) {
                slots[w][d] = executor.acquireSlot(w);
            }
        }
        carried = new int[cores][depth];
        sentAt = new long[cores][depth];
        nextBatch = new int[cores];
        lastDone = new long[cores];
        transfer = new long[cores];
        roundTrip = new long[cores];
        remote = new long[cores];
        calls = new long[cores];
        fillNanos = new long[cores][depth];
    }

    /** Cores (workers) of the lease. */
    public int cores() {
        return cores;
    }

    /**
     * One round on the caller's thread: batch i goes to worker {@code i % cores} (each worker's
     * batches in order); the local items [from, from + count) are computed in pieces of about
     * {@value #PIECE_NANOS} ns between which replies are taken in; then the remaining replies are
     * awaited. {@code off} may be null (nothing offloaded): the local kernel runs in one piece.
     */
    public static Round round(Offloader off, List<? extends Batch> batches, int from, int count, LocalKernel kernel) {
        if (off == null || batches.isEmpty()) {
            long t0 = System.nanoTime();
            if (count > 0) {
                kernel.compute(from, count);
            }
            return new Round(System.nanoTime() - t0, 0, 0);
        }
        return off.run(batches, from, count, kernel);
    }

    private Round run(List<? extends Batch> batches, int from, int count, LocalKernel kernel) {
        long start = System.nanoTime();
        this.batches = batches;
        inFlight = 0;
        for (int w = 0; w < cores; w++) {
            nextBatch[w] = w;
            lastDone[w] = start;
            Arrays.fill(carried[w], -1);
            for (int d = 0; d < depth; d++) {
                submitNext(w, d);
            }
        }
        long local = 0;
        int piece = 1;
        int done = 0;
        while (done < count) {
            int n = Math.min(piece, count - done);
            long t0 = System.nanoTime();
            kernel.compute(from + done, n);
            long dt = System.nanoTime() - t0;
            local += dt;
            done += n;
            if (dt < PIECE_NANOS / 2 && piece < Integer.MAX_VALUE / 2) {
                piece *= 2; // pieces grow until one takes about PIECE_NANOS
            }
            takeInReplies();
        }
        long w0 = System.nanoTime();
        long offloading = w0 - start - local;
        while (inFlight > 0) {
            if (!takeInReplies()) {
                if (waitMode == WaitMode.WARM) {
                    awaitOldest();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
        this.batches = null;
        return new Round(local, System.nanoTime() - w0, offloading);
    }

    /** Polls every call in flight once; finishes those whose reply is here. Returns whether any was. */
    private boolean takeInReplies() {
        boolean any = false;
        for (int w = 0; w < cores; w++) {
            for (int d = 0; d < depth; d++) {
                if (carried[w][d] >= 0 && slots[w][d].poll()) {
                    finish(w, d, slots[w][d].complete());
                    any = true;
                }
            }
        }
        return any;
    }

    /** Warm: sleeps in the transport for the first call in flight. */
    private void awaitOldest() {
        for (int w = 0; w < cores; w++) {
            int oldest = -1;
            for (int d = 0; d < depth; d++) {
                if (carried[w][d] >= 0 && (oldest < 0 || carried[w][d] < carried[w][oldest])) {
                    oldest = d;
                }
            }
            if (oldest >= 0) {
                finish(w, oldest, slots[w][oldest].await(WaitMode.WARM));
                return;
            }
        }
    }

    private void finish(int w, int d, int n) {
        long t2 = System.nanoTime();
        if (n < 8) {
            throw new IllegalStateException("function returned " + n + " bytes (input rejected?)");
        }
        MemorySegment out = slots[w][d].output();
        long kernel = out.get(ValueLayout.JAVA_LONG_UNALIGNED, n - 8);
        remote[w] += kernel;
        batches.get(carried[w][d]).drain(out, n - 8);
        long drain = System.nanoTime() - t2;
        transfer[w] += drain;
        // a call queued behind the worker's previous one starts when that one's reply was taken in
        long rtt = t2 - Math.max(sentAt[w][d], lastDone[w]);
        roundTrip[w] += rtt;
        lastDone[w] = t2;
        if (overheadCount < overheads.length) {
            overheads[overheadCount++] = fillNanos[w][d] + drain + rtt - kernel;
        }
        calls[w]++;
        carried[w][d] = -1;
        inFlight--;
        submitNext(w, d);
    }

    private void submitNext(int w, int d) {
        int i = nextBatch[w];
        if (i >= batches.size()) {
            return;
        }
        nextBatch[w] = i + cores;
        long t0 = System.nanoTime();
        int len = batches.get(i).fill(slots[w][d].input());
        long t1 = System.nanoTime();
        slots[w][d].submit(function, len, executor.outputCapacity());
        transfer[w] += t1 - t0;
        fillNanos[w][d] = t1 - t0;
        sentAt[w][d] = t1;
        carried[w][d] = i;
        inFlight++;
    }

    /**
     * What the offloading cost so far: lease (allocation incl. cold start), transfer, network (round
     * trips minus remote compute; a call's round trip runs from its submission, or from the
     * previous reply of its worker when it was queued behind that call, to its reply being taken
     * in, so a reply that arrived while the rank computed counts until the end of that piece),
     * remote compute (the busiest worker's sum), calls.
     */
    public OffloadStats stats() {
        long t = 0, rtt = 0, rem = 0, busiest = 0, n = 0;
        for (int w = 0; w < cores; w++) {
            t += transfer[w];
            rtt += roundTrip[w];
            rem += remote[w];
            busiest = Math.max(busiest, remote[w]);
            n += calls[w];
        }
        long[] sorted = Arrays.copyOf(overheads, overheadCount);
        Arrays.sort(sorted);
        long median = sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        long p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
        return new OffloadStats(leaseNanos, t, rtt - rem, busiest, n, median, p99);
    }

    /** Clears the transfer/compute counters (e.g. after a warm-up). */
    public void resetStats() {
        Arrays.fill(transfer, 0);
        Arrays.fill(roundTrip, 0);
        Arrays.fill(remote, 0);
        Arrays.fill(calls, 0);
        overheadCount = 0;
    }

    /** Releases the lease and closes the client. */
    @Override
    public void close() {
        try {
            for (InvocationSlot[] w : slots) {
                for (InvocationSlot s : w) {
                    s.close();
                }
            }
            executor.release();
        } finally {
            client.close();
        }
    }
}
