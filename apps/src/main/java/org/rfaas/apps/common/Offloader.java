package org.rfaas.apps.common;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.client.rm.ResourceManagerLeaseSource;

/**
 * One rank's lease and the batches it sends there. One thread per leased core drives that core's
 * worker through a zero-copy {@link InvocationSlot}: it packs a batch straight into the registered
 * input, invokes, and unpacks the output, while the rank's main thread computes its local share.
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

    private final RfaasClient client;
    private final RemoteExecutor executor;
    private final int function;
    private final int cores;
    private final WaitMode waitMode;
    private final ExecutorService threads;
    private final long leaseNanos;
    // per worker, written only by that worker's thread between submit and await
    private final long[] transfer;
    private final long[] roundTrip;
    private final long[] remote;
    private final long[] calls;

    /**
     * Takes a lease of {@code --cores} cores (default 1) and ships the package (the Java JAR or,
     * with {@code --kernel native}, the native library).
     */
    public Offloader(AppArgs args, Path functionPackage, String functionName, int inputCapacity, int outputCapacity) {
        RfaasClient.Builder b = RfaasClient.builder();
        if (args.has("resource-manager")) {
            b.leaseSource(new ResourceManagerLeaseSource(URI.create(args.string("resource-manager", null)),
                    args.string("tenant", "apps")));
        } else if (args.has("executors")) {
            b.executorsDatabase(Path.of(args.string("executors", null)));
        } else {
            throw new IllegalArgumentException("--offload > 0 needs --executors FILE or --resource-manager URL");
        }
        cores = args.integer("cores", 1);
        waitMode = args.string("wait", "warm").equals("hot") ? WaitMode.HOT : WaitMode.WARM;
        FunctionPackage pkg = args.nativeKernel() ? FunctionPackage.nativeLibrary(functionPackage, AppPackages.FUNCTIONS)
                : FunctionPackage.jar(functionPackage);
        AllocationSpec spec = AllocationSpec.of(cores, args.integer("memory", 256),
                HotTimeout.ofMicros(args.integer("hot-timeout", 2_000)), pkg, inputCapacity, outputCapacity)
                .withSlotsPerWorker(1);
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
        threads = Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "offload");
            t.setDaemon(true);
            return t;
        });
        transfer = new long[cores];
        roundTrip = new long[cores];
        remote = new long[cores];
        calls = new long[cores];
    }

    /** Cores (workers, offload threads) of the lease. */
    public int cores() {
        return cores;
    }

    /** The lease's input capacity in bytes. */
    public int inputCapacity() {
        return executor.inputCapacity();
    }

    /** Batches in flight; {@link #await()} them. */
    public final class Pending {
        private final Future<?>[] futures;

        private Pending(Future<?>[] futures) {
            this.futures = futures;
        }

        /** Waits for every batch; returns the nanoseconds spent waiting. */
        public long await() {
            long t0 = System.nanoTime();
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for offloaded batches", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("offloaded batch failed: " + e.getCause(), e.getCause());
                }
            }
            return System.nanoTime() - t0;
        }
    }

    /** Sends batch i to worker {@code i % cores}, each worker's batches in order; returns at once. */
    public Pending submit(List<? extends Batch> batches) {
        Future<?>[] futures = new Future<?>[Math.min(cores, batches.size())];
        for (int w = 0; w < futures.length; w++) {
            int worker = w;
            futures[w] = threads.submit(() -> {
                for (int i = worker; i < batches.size(); i += cores) {
                    run(worker, batches.get(i));
                }
            });
        }
        return new Pending(futures);
    }

    private void run(int worker, Batch batch) {
        try (InvocationSlot slot = executor.acquireSlot(worker)) {
            long t0 = System.nanoTime();
            int len = batch.fill(slot.input());
            long t1 = System.nanoTime();
            int n = slot.invoke(function, len, executor.outputCapacity(), waitMode);
            long t2 = System.nanoTime();
            MemorySegment out = slot.output();
            if (n < 8) {
                throw new IllegalStateException("function returned " + n + " bytes (input rejected?)");
            }
            remote[worker] += out.get(ValueLayout.JAVA_LONG_UNALIGNED, n - 8);
            batch.drain(out, n - 8);
            long t3 = System.nanoTime();
            transfer[worker] += (t1 - t0) + (t3 - t2);
            roundTrip[worker] += t2 - t1;
            calls[worker]++;
        }
    }

    /**
     * What the offloading cost so far: lease (allocation incl. cold start), transfer, network (round
     * trips minus remote compute), remote compute (the busiest worker's sum), calls.
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
        return new OffloadStats(leaseNanos, t, rtt - rem, busiest, n);
    }

    /** Clears the transfer/compute counters (e.g. after a warm-up). */
    public void resetStats() {
        java.util.Arrays.fill(transfer, 0);
        java.util.Arrays.fill(roundTrip, 0);
        java.util.Arrays.fill(remote, 0);
        java.util.Arrays.fill(calls, 0);
    }

    /** Releases the lease and closes the client. */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            executor.release();
        } finally {
            client.close();
        }
    }
}
