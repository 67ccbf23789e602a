package org.rfaas.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.HdrHistogram.Histogram;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.ExecutorLostException;
import org.rfaas.client.ExecutorsDatabase;
import org.rfaas.client.FunctionFailedException;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.RfaasException;
import org.rfaas.client.UnknownFunctionException;
import org.rfaas.client.WaitMode;
import org.rfaas.transport.Transports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rfaas invoke}: leases cores through an executors database, ships a package, invokes one
 * function. Exit codes: 0 ok, 1 other failure, 2 usage, 3 the function failed, 4 unknown function,
 * 5 allocation refused, 6 executor lost.
 */
@Command(name = "invoke", mixinStandardHelpOptions = true,
        description = {"Invokes a function on a leased executor: a command-line client for scripts and smoke tests.",
            "Output goes to stdout (or --output); with --repeat N > 1 stdout gets latency percentiles instead."})
public final class InvokeCommand implements Callable<Integer> {
    /** Enough loopback calls for the JIT to compile the invocation path (measured: the first ~4,000 carried the tail). */
    static final int DEFAULT_WARM_UP_CALLS = 10_000;

    @Option(names = "--executors", description = "executors database (JSON list of nodes)")
    Path executors;

    @Option(names = "--resource-manager", description = "lease through the resource manager at this URL instead")
    java.net.URI resourceManager;

    @Option(names = "--tenant", defaultValue = "cli", description = "tenant billed for resource-manager leases")
    String tenant;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "the tenant's API key for --resource-manager (default: $RFAAS_API_KEY)")
    java.nio.file.Path apiKeyFile;

    @Option(names = "--package", required = true, description = "function package: a .jar or a native .so")
    Path pkg;

    @Option(names = "--function", required = true, description = "function name")
    String function;

    @Option(names = "--functions", split = ",", description = "native package: symbols to resolve (default: --function)")
    List<String> nativeFunctions;

    @Option(names = "--input", description = "input file (default: stdin)")
    Path input;

    @Option(names = "--output", description = "output file (default: stdout)")
    Path output;

    @Option(names = "--repeat", defaultValue = "1", description = "invocations to time (default ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--latencies", paramLabel = "FILE",
            description = "with --repeat: also write each call's latency in ns, one per line in call order (where in the run the slow calls are)")
    Path latenciesFile;

    @Option(names = "--mode", defaultValue = "hot", description = "hot (spinning) or warm (sleeping) on both sides")
    WaitMode mode;

    @Option(names = "--cores", defaultValue = "1", description = "cores to lease (default ${DEFAULT-VALUE})")
    int cores;

    @Option(names = "--memory", defaultValue = "256", description = "memory to lease in MiB (default ${DEFAULT-VALUE})")
    long memoryMiB;

    @Option(names = "--output-capacity", defaultValue = "1048576", description = "largest output in bytes")
    int outputCapacity;

    @Option(names = "--hot-timeout-us", description = "executor hot timeout in us (default: 1000000 for hot, 0 for warm)")
    Long hotTimeoutMicros;

    @Option(names = "--warm-up", paramLabel = "CALLS",
            description = "calls to a loopback echo worker in this process before the lease, so that the first real"
                    + " calls run compiled code (default: 10000 with --repeat > 1, else 0)")
    Integer warmUpCalls;

    @Option(names = "--listen", description = "host to listen on for the workers (default: the local address that"
            + " routes to the executor manager)")
    String listen;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        if (repeat < 1) {
            err.println("rfaas invoke: --repeat must be at least 1");
            return 2;
        }
        if ((executors == null) == (resourceManager == null)) {
            err.println("rfaas invoke: give exactly one of --executors FILE and --resource-manager URL");
            return 2;
        }
        if (warmUpCalls != null && warmUpCalls < 0) {
            err.println("rfaas invoke: --warm-up must be 0 or more");
            return 2;
        }
        // The database, and the transports it names, load on another thread beside the input, the
        // logging set-up and the client's start: this JVM's first open of fabric:tcp takes ~0.5 s
        // (libfabric's library constructors, class loading), and only the allocation needs it.
        CompletableFuture<ExecutorsDatabase> database = executors == null ? null : CompletableFuture.supplyAsync(() -> {
            ExecutorsDatabase db = ExecutorsDatabase.load(executors);
            Transports.preload(db.transports());
            return db;
        }, r -> Thread.ofPlatform().daemon().name("rfaas-database-load").start(r));
        byte[] in;
        try (InputStream s = input == null ? System.in : Files.newInputStream(input)) {
            in = s.readAllBytes();
        } catch (IOException e) {
            err.println("rfaas invoke: cannot read input: " + e.getMessage());
            return 1;
        }
        int warmUp = warmUpCalls != null ? warmUpCalls : repeat > 1 ? DEFAULT_WARM_UP_CALLS : 0;
        long hot = hotTimeoutMicros != null ? hotTimeoutMicros : mode == WaitMode.HOT ? 1_000_000 : 0;
        try (RfaasClient client = (database != null ? RfaasClient.builder().leaseSource(loaded(database))
                : RfaasClient.builder().leaseSource(new org.rfaas.client.rm.ResourceManagerLeaseSource(resourceManager,
                        tenant, org.rfaas.client.rm.TenantKey.resolve(apiKeyFile)))).listenAddress(listen).warmUp(warmUp)
                .lowPriorityCompiler(true).build()) {
            FunctionPackage functions = FunctionPackage.of(pkg, nativeFunctions == null ? List.of(function) : nativeFunctions);
            AllocationSpec spec = AllocationSpec.of(cores, memoryMiB, new HotTimeout(hot), functions,
                    Math.max(in.length, 8), outputCapacity);
            try (RemoteExecutor executor = client.allocate(spec)) {
                executor.functionIndex(function);
                // Caller-owned segments: the timed loop allocates nothing, so no collection of this
                // client's own garbage shows up in the latencies it prints.
                Arena arena = Arena.ofAuto();
                MemorySegment input = arena.allocate(Math.max(1, in.length)).asSlice(0, in.length);
                MemorySegment.copy(in, 0, input, ValueLayout.JAVA_BYTE, 0, in.length);
                MemorySegment result = arena.allocate(executor.outputCapacity());
                int produced = 0;
                Histogram latencies = new Histogram(3_600_000_000_000L, 3);
                long[] each = latenciesFile != null ? new long[repeat] : null;
                for (int i = 0; i < repeat; i++) {
                    long start = System.nanoTime();
                    produced = executor.invoke(function, input, result, mode);
                    long took = System.nanoTime() - start;
                    latencies.recordValue(took);
                    if (each != null) {
                        each[i] = took;
                    }
                }
                if (each != null) {
                    writeLatencies(each);
                }
                if (repeat == 1 || output != null) {
                    writeOutput(result.asSlice(0, produced).toArray(ValueLayout.JAVA_BYTE));
                }
                if (repeat > 1) {
                    System.out.printf("%s %s x%d on %s (lease %d, cold start %.1f ms)%n", function, mode, repeat,
                            executor.node(), executor.leaseId(), executor.allocationTime().toNanos() / 1e6);
                    for (double p : new double[] {50, 90, 99, 99.9}) {
                        System.out.printf("  p%-5s %10.2f us%n", p, latencies.getValueAtPercentile(p) / 1000.0);
                    }
                    System.out.printf("  max    %10.2f us%n", latencies.getMaxValue() / 1000.0);
                }
            }
            return 0;
        } catch (UnknownFunctionException e) {
            err.println("rfaas invoke: unknown function: " + e.getMessage());
            return 4;
        } catch (FunctionFailedException e) {
            err.println("rfaas invoke: function failed: " + e.remoteMessage());
            return 3;
        } catch (AllocationRefusedException e) {
            err.println("rfaas invoke: allocation refused: " + e.getMessage());
            return 5;
        } catch (ExecutorLostException e) {
            err.println("rfaas invoke: executor lost: " + e.getMessage());
            return 6;
        } catch (RfaasException | IllegalArgumentException | java.io.UncheckedIOException e) {
            err.println("rfaas invoke: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("rfaas invoke: cannot write output: " + e.getMessage());
            return 1;
        }
    }

    /** The database once loaded; its loading's failure as thrown (not wrapped). */
    private static ExecutorsDatabase loaded(CompletableFuture<ExecutorsDatabase> database) {
        try {
            return database.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private void writeOutput(byte[] out) throws IOException {
        if (output == null) {
            System.out.write(out);
            System.out.flush();
        } else {
            try (OutputStream s = Files.newOutputStream(output)) {
                s.write(out);
            }
        }
    }

    private void writeLatencies(long[] each) throws IOException {
        StringBuilder text = new StringBuilder(each.length * 8);
        for (long ns : each) {
            text.append(ns).append('\n');
        }
        Files.writeString(latenciesFile, text);
    }
}
