package org.rfaas.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Several leases used as one computation, typically on several hosts: obtained from
 * {@link RfaasClient#allocateGroup}. The group's cores are numbered across its executors in
 * order (executor 0's workers first), and {@link #scatter} (or the allocation-free
 * {@link #scatterGather}) sends one input to each.
 * Closing the group releases every lease.
 */
public final class ExecutorGroup implements AutoCloseable {
    private final List<RemoteExecutor> executors;
    private final int cores;

    ExecutorGroup(List<RemoteExecutor> executors) {
        if (executors.isEmpty()) {
            throw new IllegalArgumentException("an executor group needs at least one executor");
        }
        this.executors = List.copyOf(executors);
        int n = 0;
        for (RemoteExecutor e : executors) {
            n += e.cores();
        }
        this.cores = n;
    }

    /** {@link RfaasClient#allocateGroup}: the leases allocated in parallel with {@code allocate}. */
    static ExecutorGroup allocate(Function<AllocationSpec, RemoteExecutor> allocate, AllocationSpec spec,
            int totalCores, int maxCoresPerLease) {
        if (totalCores < 1 || maxCoresPerLease < 1) {
            throw new IllegalArgumentException("totalCores and maxCoresPerLease must be positive, got " + totalCores
                    + " and " + maxCoresPerLease);
        }
        List<CompletableFuture<RemoteExecutor>> parts = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int left = totalCores; left > 0; left -= maxCoresPerLease) {
                AllocationSpec part = spec.withCores(Math.min(left, maxCoresPerLease));
                parts.add(CompletableFuture.supplyAsync(() -> allocate.apply(part), pool));
            }
        }
        List<RemoteExecutor> executors = new ArrayList<>();
        RuntimeException failure = null;
        for (var p : parts) {
            try {
                executors.add(p.join());
            } catch (CompletionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : e;
                }
            }
        }
        if (failure != null) {
            executors.forEach(RemoteExecutor::close);
            throw failure;
        }
        return new ExecutorGroup(executors);
    }

    /** The group's executors (one per lease), in core order. */
    public List<RemoteExecutor> executors() {
        return executors;
    }

    /** Leased cores over all executors. */
    public int cores() {
        return cores;
    }

    /** The distinct nodes the group runs on, in executor order. */
    public List<String> nodes() {
        return executors.stream().map(RemoteExecutor::node).distinct().toList();
    }

    /**
     * Scatter / gather: input {@code i} goes to the group's core {@code i} (at most
     * {@link #cores()} inputs); the future completes with the outputs in input order when all
     * replied, or fails with the first failure.
     */
    public CompletableFuture<List<byte[]>> scatter(String function, List<byte[]> inputs) {
        if (inputs.size() > cores) {
            throw new IllegalArgumentException(inputs.size() + " inputs for " + cores + " cores");
        }
        DrivenFuture.Gathered all = new DrivenFuture.Gathered(inputs.size(), this::driveAsync);
        int i = 0;
        for (RemoteExecutor e : executors) {
            for (int w = 0; w < e.cores() && i < inputs.size(); w++, i++) {
                e.invokeAsync(function, inputs.get(i), w, all.part(i));
            }
        }
        return all;
    }

    /**
     * An allocation-free scatter / gather of {@code function} over the group's cores, in core
     * order (see {@link ScatterGather}); reuse it for every scatter of that function.
     *
     * @throws UnknownFunctionException when an executor's package has no such function
     */
    public ScatterGather scatterGather(String function) {
        WorkerChannel[] channels = new WorkerChannel[cores];
        int[] indices = new int[cores];
        int i = 0;
        for (RemoteExecutor e : executors) {
            int fn = e.functionIndex(function);
            for (WorkerChannel ch : e.channels()) {
                channels[i] = ch;
                indices[i++] = fn;
            }
        }
        return new ScatterGather(channels, indices, executors.stream().mapToInt(RemoteExecutor::outputCapacity).min()
                .orElseThrow());
    }

    /** Takes in the arrived replies of every executor's asynchronous calls. */
    private int driveAsync() {
        int n = 0;
        for (RemoteExecutor e : executors) {
            n += e.driveAsync();
        }
        return n;
    }

    /** Releases every lease of the group. */
    @Override
    public void close() {
        for (RemoteExecutor e : executors) {
            e.close();
        }
    }
}
