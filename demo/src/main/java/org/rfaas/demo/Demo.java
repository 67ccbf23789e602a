package org.rfaas.demo;

import org.rfaas.demo.support.Leftovers;

import org.HdrHistogram.Histogram;
import org.rfaas.demo.support.LatencyStats;
import org.rfaas.demo.support.ManagerScrape;
import org.rfaas.demo.support.MachineLoad;
import org.rfaas.demo.support.TextTable;
import org.rfaas.demo.support.FunctionPackages;
import org.rfaas.client.AllocationSpec;
import org.rfaas.client.FunctionPackage;
import org.rfaas.client.HotTimeout;
import org.rfaas.client.InvocationSlot;
import org.rfaas.client.RemoteExecutor;
import org.rfaas.client.RfaasClient;
import org.rfaas.client.WaitMode;
import org.rfaas.client.AllocationRefusedException;
import org.rfaas.client.LeaseOffer;
import org.rfaas.client.LeaseSource;
import org.rfaas.client.rm.ResourceManagerLeaseSource;
import org.rfaas.protocol.LeaseAccounting;
import org.rfaas.protocol.lease.LeaseClaims;
import org.rfaas.protocol.lease.LeaseToken;
import org.rfaas.rmclient.BillingSummary;
import org.rfaas.rmclient.LeaseBilling;
import org.rfaas.rmclient.NodeInfo;
import org.rfaas.rmclient.ResourceManagerClient;
import org.rfaas.rmclient.TenantRequest;
import org.rfaas.rmclient.TenantBilling;
import org.rfaas.resourcemanager.ResourceManager;
import org.rfaas.resourcemanager.ResourceManagerConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code rfaas demo}: the whole life of a lease on this machine, in well under a minute.
 *
 * <p>Stages, in order (each a {@link Stage} sharing a {@link DemoContext}): start a resource
 * manager in this JVM (fresh H2 database, random admin token and cluster secret); start an
 * executor manager in a child JVM that joins it ({@link DemoNode}); build the function packages (a
 * JAR, and a native library compiled with gcc); build the client, which leases from the resource
 * manager; check that the executor manager refuses a lease whose token was altered; for each
 * package, cold starts, then warm and hot invocations on one lease, then release with its
 * accounting; read the billing of every lease back from the resource manager. Then the table.
 * Everything is stopped at the end and the demo checks that no process, and no {@code rfaas-*}
 * entry in the temporary directory, is left behind. The warm and hot figures are measured once the
 * node has booted its spare executors and trained its AOT cache ({@link DemoNode#awaitSettled}).
 */
public final class Demo {
    /** A step of the demo. */
    public interface Stage {
        /** Shown while it runs. */
        String name();

        /** Runs; registers what it opens with {@link DemoContext#own}. */
        void run(DemoContext ctx) throws Exception;
    }

    /** Cold starts per package. */
    static final int COLD_STARTS = 3;
    /** Warm invocations per package (back to back, the worker asleep when each arrives). */
    static final int WARM_CALLS = 1_000;
    /** Hot invocations per package (back to back). */
    static final int HOT_CALLS = 5_000;
    /** The hot timeout of the cold and hot leases: the worker spins this long after each call, then sleeps. */
    static final HotTimeout HOT_TIMEOUT = HotTimeout.ofMicros(1_000);
    /** Unrecorded calls before the warm and hot figures. */
    static final Duration WARM_UP = Duration.ofMillis(500);
    /** Longest wait for the node to boot its spare executors and train its AOT cache before measuring. */
    static final Duration SETTLE_LIMIT = Duration.ofSeconds(60);
    /** Other processes' CPU use (in cores) above which the figures are flagged as measured on a busy machine. */
    static final double BUSY_MACHINE_CORES = 0.25;
    /** Payload of every call. */
    static final int BYTES = 1024;
    /** How long the executor manager gets to register with the resource manager. */
    static final Duration REGISTRATION_WAIT = Duration.ofSeconds(15);
    /** How long the billing reports of released leases get to reach the resource manager. */
    static final Duration BILLING_WAIT = Duration.ofSeconds(15);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Demo() {
    }

    /** The stages of the demo, in order. */
    public static List<Stage> defaultStages() {
        List<Stage> stages = new ArrayList<>();
        stages.add(stage("start a resource manager", Demo::startResourceManager));
        stages.add(stage("start an executor manager", Demo::startExecutorManager));
        stages.add(stage("build the function packages", ctx -> {
            Path jar = FunctionPackages.javaJar(ctx.workDir.resolve("java"));
            ctx.packages.put("java", FunctionPackage.jar(jar));
            List<String> why = new ArrayList<>();
            Optional<Path> so = FunctionPackages.nativeLibrary(ctx.workDir.resolve("native"), why);
            if (so.isPresent()) {
                ctx.packages.put("native", FunctionPackage.nativeLibrary(so.get(), FunctionPackages.NATIVE_FUNCTIONS));
            } else {
                ctx.out.println("native functions skipped: " + String.join("; ", why));
                ctx.note("native functions skipped: " + String.join("; ", why));
            }
            ctx.packages.forEach((k, p) -> ctx.out.println("package " + k + ": " + p));
        }));
        stages.add(stage("build the client (leases from the resource manager as tenant " + DemoContext.TENANT + ")",
                ctx -> {
                    LeaseSource rm = new ResourceManagerLeaseSource(ctx.resourceManager.uri(), DemoContext.TENANT, ctx.tenantKey);
                    ctx.leases(new RecordingLeases(rm, ctx.offers));
                    ctx.client = ctx.own(client(ctx.leases));
                }));
        stages.add(stage("check that the executor manager refuses a forged lease token", Demo::forgedToken));
        stages.add(stage("invoke cold, warm and hot", Demo::invocations));
        stages.add(stage("read the billing back from the resource manager", Demo::readBilling));
        return stages;
    }

    private static RfaasClient client(LeaseSource source) {
        return RfaasClient.builder().leaseSource(source).allocationTimeout(Duration.ofSeconds(60)).build();
    }

    /** In this JVM, on a free loopback port, with a fresh H2 database and fresh random secrets. */
    private static void startResourceManager(DemoContext ctx) throws Exception {
        ctx.adminToken = randomSecret();
        ctx.clusterSecret = randomSecret();
        Path data = ctx.workDir.resolve("rm");
        ctx.resourceManager = ctx.own(ResourceManager.start(ResourceManagerConfig.defaults(ctx.adminToken,
                ctx.clusterSecret, data)));
        ctx.out.println("resource manager: " + ctx.resourceManager.uri() + " (in this JVM, pid "
                + ProcessHandle.current().pid() + "; H2 database in " + data + "; random admin token and cluster secret)");
        ctx.out.println("dashboard: " + ctx.resourceManager.uri() + "/dashboard#token=" + ctx.adminToken
                + " (live while the demo runs; --keep keeps it up)");
        // Lease requests carry a tenant's API key: the demo's tenant is made as an operator would
        // (rfaas tenants add demo), with a quota the demo stays within.
        ctx.tenantKey = ResourceManagerClient.forAdmin(ctx.resourceManager.uri(), ctx.adminToken)
                .createTenant(new TenantRequest(DemoContext.TENANT, 64, 64 * 1024)).apiKey();
        ctx.out.println("tenant " + DemoContext.TENANT + " created with an API key (quota 64 cores, 64 GiB)");
    }

    /** A child JVM with the cluster secret and the resource manager's URL; waits until it registered. */
    private static void startExecutorManager(DemoContext ctx) throws Exception {
        ctx.node = ctx.own(DemoNode.start(ctx.transport, ctx.workDir.resolve("node"), ctx.clusterSecret,
                ctx.resourceManager.uri()));
        ResourceManagerClient admin = ResourceManagerClient.forAdmin(ctx.resourceManager.uri(), ctx.adminToken);
        long deadline = System.nanoTime() + REGISTRATION_WAIT.toNanos();
        NodeInfo registered = null;
        while (registered == null && System.nanoTime() < deadline) {
            registered = admin.listNodes().stream().filter(n -> n.name().equals(DemoNode.NAME) && n.state().equals("UP"))
                    .findFirst().orElse(null);
            if (registered == null) {
                LockSupport.parkNanos(100_000_000L);
            }
        }
        if (registered == null) {
            throw new IllegalStateException("the executor manager (pid " + ctx.node.pid() + ") did not register with the"
                    + " resource manager within " + REGISTRATION_WAIT.toSeconds() + " s; its nodes: " + admin.listNodes());
        }
        ctx.out.printf(Locale.ROOT, "executor manager: pid %d, node %s, listening on %s (transport %s)%n", ctx.node.pid(),
                registered.name(), ctx.node.address(), ctx.transport);
        ctx.out.printf(Locale.ROOT, "  registered with the resource manager: %d cores, %d MiB, %s, heartbeat every %d ms;"
                + " verifies lease tokens with the cluster secret, reports billing when a lease ends%n",
                registered.cores(), registered.memoryMiB(), registered.state(), DemoNode.HEARTBEAT_MILLIS);
        ctx.out.println("  metrics: " + ctx.node.metricsUrl() + " (Prometheus text; the resource manager's at "
                + ctx.resourceManager.uri() + "/metrics with the admin token)");
    }

    /**
     * A lease granted by the resource manager whose token is altered by one character: the executor
     * manager must refuse it before it spawns anything.
     */
    private static void forgedToken(DemoContext ctx) {
        LeaseSource rm = new ResourceManagerLeaseSource(ctx.resourceManager.uri(), DemoContext.TENANT, ctx.tenantKey);
        long[] leaseId = {0};
        LeaseSource forging = new LeaseSource() {
            @Override
            public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
                LeaseOffer o = rm.acquire(cores, memoryMiB, duration);
                leaseId[0] = o.leaseId();
                char[] t = o.token().toCharArray();
                int i = t.length / 2;
                t[i] = t[i] == 'A' ? 'B' : 'A';
                return new LeaseOffer(o.node(), o.managerAddress(), o.leaseId(), new String(t), o.expiresAtEpochMillis());
            }

            @Override
            public void release(LeaseOffer lease) {
                rm.release(lease);
            }
        };
        FunctionPackage pkg = ctx.packages.values().iterator().next();
        try (RfaasClient c = client(forging)) {
            try (RemoteExecutor ex = c.allocate(AllocationSpec.of(1, 256, HOT_TIMEOUT, pkg, BYTES, BYTES))) {
                throw new IllegalStateException("the executor manager accepted lease " + ex.leaseId()
                        + " with a forged token: lease tokens are not verified");
            } catch (AllocationRefusedException e) {
                ctx.out.println("lease " + leaseId[0] + " with an altered token: refused (" + e.getMessage() + ")");
            }
        } finally {
            if (leaseId[0] != 0) {
                rm.release(new LeaseOffer(DemoNode.NAME, ctx.node.address(), leaseId[0], "", 0));
            }
        }
    }

    /**
     * Waits (bounded) until the resource manager has a billing row for every lease the demo used,
     * then keeps the summary for the table. Each row arrives when the executor manager reports the
     * lease's final accounting, right after the lease ended.
     */
    private static void readBilling(DemoContext ctx) {
        ResourceManagerClient admin = ResourceManagerClient.forAdmin(ctx.resourceManager.uri(), ctx.adminToken);
        Set<Long> expected = new TreeSet<>();
        ctx.leaseUses.forEach(u -> expected.add(u.leaseId()));
        long t0 = System.nanoTime();
        long deadline = t0 + BILLING_WAIT.toNanos();
        BillingSummary summary;
        Set<Long> missing;
        while (true) {
            summary = admin.billing();
            missing = new TreeSet<>(expected);
            for (LeaseBilling b : summary.leases()) {
                missing.remove(b.leaseId());
            }
            if (missing.isEmpty() || System.nanoTime() >= deadline) {
                break;
            }
            LockSupport.parkNanos(100_000_000L);
        }
        ctx.billingWait = Duration.ofNanos(System.nanoTime() - t0);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the resource manager has no billing for lease(s) " + missing + " "
                    + BILLING_WAIT.toSeconds() + " s after they were released: the executor manager (pid " + ctx.node.pid()
                    + ") did not report them (run with -Drfaas.bench.keepLogs=true to keep its log)");
        }
        ctx.billing = summary;
        ctx.out.printf(Locale.ROOT, "billing of %d leases read from %s/v1/billing (the last report arrived within %d ms"
                + " of this stage's start)%n", expected.size(), ctx.resourceManager.uri(), ctx.billingWait.toMillis());
        Map<String, Double> m = ManagerScrape.values(ctx.node.metricsUrl());
        ctx.out.printf(Locale.ROOT, "the executor manager's /metrics: %.0f invocations (%.0f failed), %.0f allocations,"
                + " %.0f cold starts from spares and %.0f forked, %.0f refused as invalid_lease%n",
                m.getOrDefault("rfaas_em_invocations_total", 0.0), m.getOrDefault("rfaas_em_failed_invocations_total", 0.0),
                m.getOrDefault("rfaas_em_allocations_total", 0.0),
                m.getOrDefault("rfaas_em_cold_start_seconds_count{executor=\"spare\"}", 0.0),
                m.getOrDefault("rfaas_em_cold_start_seconds_count{executor=\"forked\"}", 0.0),
                m.getOrDefault("rfaas_em_allocations_refused_total{reason=\"invalid_lease\"}", 0.0));
    }

    private static String randomSecret() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Remembers every offer it hands out, so the table can show where each lease was placed. */
    private record RecordingLeases(LeaseSource inner, Map<Long, LeaseOffer> offers) implements LeaseSource {
        @Override
        public LeaseOffer acquire(int cores, long memoryMiB, Duration duration) {
            LeaseOffer o = inner.acquire(cores, memoryMiB, duration);
            offers.put(o.leaseId(), o);
            return o;
        }

        @Override
        public void release(LeaseOffer lease) {
            inner.release(lease);
        }
    }

    private static Stage stage(String name, ThrowingConsumer body) {
        return new Stage() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(DemoContext ctx) throws Exception {
                body.accept(ctx);
            }
        };
    }

    @FunctionalInterface
    private interface ThrowingConsumer {
        void accept(DemoContext ctx) throws Exception;
    }

    /**
     * Runs the stages on {@code transport}, prints the table; returns 0, or 1 when something failed
     * or a process was left behind.
     */
    public static int run(String transport, List<Stage> stages, PrintStream out) throws IOException {
        return run(transport, stages, out, false);
    }

    /**
     * Like {@link #run(String, List, PrintStream)}; with {@code keep}, the resource manager, the
     * executor manager and the dashboard stay up after the stages until Ctrl-C, then everything is
     * torn down and checked as usual.
     */
    public static int run(String transport, List<Stage> stages, PrintStream out, boolean keep) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<String> tmpBefore = Leftovers.rfaasEntries(tmp);
        Path workDir = Files.createTempDirectory("rfaas-demo-");
        DemoContext ctx = new DemoContext(workDir, out, transport);
        long t0 = System.nanoTime();
        int status = 0;
        out.println("rFaaS demo on this machine, transport " + transport + ":");
        out.println("  resource manager (HTTP on loopback, in this JVM) grants leases and signs their tokens, keeps the billing;");
        out.println("  executor manager (a child JVM) verifies each token, spawns one executor JVM per lease, reports billing;");
        out.println("  client (this JVM) leases from the resource manager and invokes the executor directly over " + transport + ".");
        String current = "";
        try {
            for (Stage s : stages) {
                current = s.name();
                out.println("== " + s.name());
                long s0 = System.nanoTime();
                s.run(ctx);
                out.printf(Locale.ROOT, "   (%.2f s)%n", (System.nanoTime() - s0) / 1e9);
            }
            if (keep) {
                KeepAlive.untilInterrupted(out, "the resource manager (dashboard: " + ctx.resourceManager.uri()
                        + "/dashboard#token=" + ctx.adminToken + ") and the executor manager (metrics: "
                        + ctx.node.metricsUrl() + ") stay up");
            }
        } catch (Exception e) {
            out.println("demo failed in stage \"" + current + "\": " + e.getMessage());
            e.printStackTrace();
            status = 1;
        } finally {
            for (AutoCloseable r : ctx.resources.reversed()) {
                try {
                    r.close();
                } catch (Exception e) {
                    out.println("cleanup: " + e);
                }
            }
            if (ctx.node != null && !ctx.node.leftInTmp().isEmpty()) {
                ctx.note("removed what the executor manager and its JVMs left in their temporary directory: "
                        + ctx.node.leftInTmp());
            }
            printTable(ctx);
            List<ProcessHandle> left = Leftovers.processes();
            if (!left.isEmpty()) {
                out.println("left behind: " + left.stream().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList()
                        + "; killing them");
                left.forEach(ProcessHandle::destroyForcibly);
                status = 1;
            } else {
                out.println("no process left behind (checked the descendants of pid " + ProcessHandle.current().pid() + ")");
            }
            FunctionPackages.deleteTree(workDir);
            Set<String> files = Leftovers.inTmp(tmp, tmpBefore);
            if (!files.isEmpty()) {
                out.println("left behind in " + tmp + ": " + files + " (made since the demo started, by the demo or by"
                        + " another rFaaS process running meanwhile)");
                status = 1;
            } else {
                out.println("nothing left in " + tmp + " (checked its rfaas-* entries; the demo's work directory "
                        + workDir.getFileName() + " is deleted)");
            }
            out.printf(Locale.ROOT, "demo finished in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        KeepAlive.cleanedUp();
        return status;
    }

    /** Cold starts, then warm and hot calls on one lease, for each package. */
    private static void invocations(DemoContext ctx) throws Exception {
        for (var e : ctx.packages.entrySet()) {
            String kind = e.getKey();
            FunctionPackage pkg = e.getValue();
            Histogram cold = LatencyStats.newHistogram();
            for (int i = 0; i < COLD_STARTS; i++) {
                long t0 = System.nanoTime();
                try (RemoteExecutor ex = ctx.client.allocate(AllocationSpec.of(1, 256, HOT_TIMEOUT, pkg, BYTES, BYTES))) {
                    call(ex, ex.functionIndex("echo"));
                    cold.recordValue(System.nanoTime() - t0);
                    recordLease(ctx, kind, "cold " + (i + 1), ex);
                    long c0 = System.nanoTime();
                    ex.close();
                    ctx.out.printf(Locale.ROOT, "%s: cold start %d: %.0f ms, release %.0f ms%n", kind, i + 1,
                            (c0 - t0) / 1e6, (System.nanoTime() - c0) / 1e6);
                }
            }
            ctx.measurements.add(new DemoContext.Measurement(kind, "echo", "cold", LatencyStats.of(cold)));
            measure(ctx, kind, pkg, "warm", HotTimeout.ALWAYS_WARM, WARM_CALLS);
            measure(ctx, kind, pkg, "hot", HOT_TIMEOUT, HOT_CALLS);
        }
    }

    /**
     * Back-to-back calls on one lease with {@code hotTimeout}, once the node is settled; then the
     * release with its accounting. Warm and hot are measured as {@code rfaas bench invoke} measures
     * them, so that the figures can be compared: warm on a lease whose worker sleeps after every
     * call (hot timeout 0), hot on one whose worker spins.
     */
    private static void measure(DemoContext ctx, String kind, FunctionPackage pkg, String use, HotTimeout hotTimeout,
            int calls) throws Exception {
        long phase = System.nanoTime();
        RemoteExecutor ex = ctx.client.allocate(AllocationSpec.of(1, 256, hotTimeout, pkg, BYTES, BYTES));
        try {
            int echo = ex.functionIndex("echo");
            recordLease(ctx, kind, use, ex);
            MachineLoad before = MachineLoad.now();
            settle(ctx, kind + " " + use, ex, echo);
            Histogram h = LatencyStats.newHistogram();
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                call(ex, echo);
                h.recordValue(System.nanoTime() - t0);
            }
            ctx.measurements.add(new DemoContext.Measurement(kind, "echo", use, LatencyStats.of(h)));
            double others = MachineLoad.now().otherCoresSince(before);
            if (others > BUSY_MACHINE_CORES) {
                String line = String.format(Locale.ROOT, "the %s %s figures share the machine's %d cores with other"
                        + " processes (not this demo's), which used %.1f cores on average while they were measured",
                        kind, use, Runtime.getRuntime().availableProcessors(), others);
                ctx.out.println(kind + " " + use + ": " + line);
                ctx.note("note: " + line);
            }
        } finally {
            long leaseId = ex.leaseId();
            long r0 = System.nanoTime();
            LeaseAccounting bill = ex.release();
            ctx.out.printf(Locale.ROOT, "%s %s: lease %d served %.2f s, released in %.2f s%n", kind, use, leaseId,
                    (r0 - phase) / 1e9, (System.nanoTime() - r0) / 1e9);
            ctx.bills.add(new DemoContext.LeaseBill(kind, use, leaseId, bill));
            ex.close();
        }
    }

    /**
     * Before the warm and hot figures: compiles the call path on both sides (unrecorded calls, as
     * {@code rfaas bench invoke} warms up), then waits until the node is settled. The allocation
     * took a spare executor and the manager boots its replacement now, perhaps still training the
     * executors' AOT cache too; measured meanwhile, on a machine with few cores, the figures would
     * show that contention instead of rFaaS (see docs/performance.md).
     */
    private static void settle(DemoContext ctx, String kind, RemoteExecutor ex, int echo) throws InterruptedException {
        warmUp(ex, echo);
        long s0 = System.nanoTime();
        if (ctx.node.awaitSettled(SETTLE_LIMIT)) {
            ctx.out.printf(Locale.ROOT, "%s: node settled %.2f s after warm-up (no spare executor booting, no AOT"
                    + " cache training): measuring%n", kind, (System.nanoTime() - s0) / 1e9);
        } else {
            String busy = "the " + kind + " warm and hot figures were measured while " + ctx.node.busy()
                    + " (still busy after " + SETTLE_LIMIT.toSeconds() + " s), sharing the cores";
            ctx.out.println(kind + ": " + busy);
            ctx.note("note: " + busy);
        }
        // Again once settled: the wait let the worker fall asleep and the caches go cold, and the
        // compilers may have replaced the code of the first warm-up (as the benchmark's rounds do).
        warmUp(ex, echo);
    }

    private static void warmUp(RemoteExecutor ex, int echo) {
        long w0 = System.nanoTime();
        while (System.nanoTime() - w0 < WARM_UP.toNanos()) {
            call(ex, echo);
        }
    }

    /**
     * The lease line: where the resource manager placed it, which executor serves it, and its token
     * checked here too with the cluster secret (the executor manager already did, or the allocation
     * would have been refused).
     */
    private static void recordLease(DemoContext ctx, String kind, String use, RemoteExecutor ex) {
        LeaseOffer offer = ctx.offers.get(ex.leaseId());
        if (offer == null) {
            throw new IllegalStateException("lease " + ex.leaseId() + " did not come from the resource manager");
        }
        LeaseClaims claims = LeaseToken.ofSecret(ctx.clusterSecret).verify(offer.token(), System.currentTimeMillis());
        String check = "verified (" + claims.cores() + " core, " + claims.memoryMiB() + " MiB, tenant " + claims.tenant() + ")";
        long pid = ctx.node.executorPid(ex.leaseId());
        ctx.leaseUses.add(new DemoContext.LeaseUse(kind, use, ex.leaseId(), offer.node(), pid, check));
        ctx.out.printf(Locale.ROOT, "%s %s: lease %d on node %s, executor pid %d, token %s%n", kind, use, ex.leaseId(),
                offer.node(), pid, check);
    }

    /** One echo of {@link #BYTES} bytes through the zero-copy slot API; checks the echo. */
    private static void call(RemoteExecutor ex, int echo) {
        try (InvocationSlot s = ex.acquireSlot()) {
            MemorySegment in = s.input();
            in.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x5246614153L);
            int n = s.invoke(echo, BYTES, BYTES, WaitMode.HOT);
            if (n != BYTES || s.output().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != 0x5246614153L) {
                throw new IllegalStateException("echo returned " + n + " bytes that differ from the input");
            }
        }
    }

    private static void printTable(DemoContext ctx) {
        PrintStream out = ctx.out;
        if (!ctx.measurements.isEmpty()) {
            TextTable t = new TextTable(List.of("package", "function", "invocation", "calls", "median", "p99"), 3, 4, 5);
            for (DemoContext.Measurement m : ctx.measurements) {
                t.add(List.of(m.packageKind(), m.function(), m.kind(), Long.toString(m.stats().count()),
                        TextTable.ns(m.stats().medianNs()), TextTable.ns(m.stats().p99Ns())));
            }
            out.println();
            out.println("Invocations of a " + BYTES + "-byte echo over " + ctx.transport + " (cold = allocation request -> first result;"
                    + " warm = back to back, the worker asleep when each call arrives (hot timeout 0); hot = back to back,"
                    + " the worker spinning (hot timeout " + HOT_TIMEOUT.micros() + " us); both measured on a settled node,"
                    + " as ./rfaas bench invoke measures them):");
            out.println(t.render());
        }
        if (!ctx.bills.isEmpty()) {
            TextTable t = new TextTable(List.of("package", "use", "lease", "allocation", "compute", "hot polling",
                    "invocations"), 2, 3, 4, 5, 6);
            for (DemoContext.LeaseBill b : ctx.bills) {
                LeaseAccounting a = b.accounting();
                t.add(List.of(b.packageKind(), b.use(), Long.toString(b.leaseId()), TextTable.ns(a.allocationNanos()),
                        TextTable.ns(a.computeNanos()), TextTable.ns(a.hotPollNanos()), Long.toString(a.invocations())));
            }
            out.println("Accounting of the warm/hot leases, as their executor manager reported it at release:");
            out.println(t.render());
        }
        if (!ctx.leaseUses.isEmpty()) {
            TextTable t = new TextTable(List.of("package", "use", "lease", "node", "executor pid", "token"), 2, 4);
            for (DemoContext.LeaseUse u : ctx.leaseUses) {
                t.add(List.of(u.packageKind(), u.use(), Long.toString(u.leaseId()), u.node(), Long.toString(u.executorPid()),
                        u.tokenCheck()));
            }
            out.println("Leases granted by the resource manager (token signed with the cluster secret; the executor manager"
                    + " verified it before it spawned the executor):");
            out.println(t.render());
        }
        if (ctx.billing != null) {
            Map<Long, DemoContext.LeaseUse> uses = new java.util.HashMap<>();
            ctx.leaseUses.forEach(u -> uses.put(u.leaseId(), u));
            TextTable t = new TextTable(List.of("tenant", "lease", "use", "allocation", "compute", "hot polling",
                    "memory x time"), 1, 3, 4, 5, 6);
            for (LeaseBilling b : ctx.billing.leases().stream().sorted(Comparator.comparingLong(LeaseBilling::leaseId)).toList()) {
                DemoContext.LeaseUse u = uses.get(b.leaseId());
                t.add(List.of(b.tenant(), Long.toString(b.leaseId()), u == null ? "-" : u.packageKind() + " " + u.use(),
                        TextTable.ns(b.allocationNanos()), TextTable.ns(b.computeNanos()), TextTable.ns(b.hotPollingNanos()),
                        String.format(Locale.ROOT, "%.1f MiB*s", b.memoryMiBSeconds())));
            }
            for (TenantBilling tb : ctx.billing.tenants()) {
                t.add(List.of(tb.tenant(), "total", tb.leases() + " leases", TextTable.ns(tb.allocationNanos()),
                        TextTable.ns(tb.computeNanos()), TextTable.ns(tb.hotPollingNanos()),
                        String.format(Locale.ROOT, "%.1f MiB*s", tb.memoryMiBSeconds())));
            }
            out.println("Billing summary, read back from the resource manager (GET " + ctx.resourceManager.uri()
                    + "/v1/billing) after the executor manager reported each released lease:");
            out.println(t.render());
        }
        ctx.notes.forEach(out::println);
    }
}
