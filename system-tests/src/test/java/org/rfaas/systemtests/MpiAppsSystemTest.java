package org.rfaas.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.rfaas.apps.blackscholes.BlackScholesKernel;
import org.rfaas.apps.blackscholes.OptionGenerator;
import org.rfaas.apps.common.AppRun;
import org.rfaas.client.ExecutorNode;
import org.rfaas.client.ExecutorsDatabase;

/**
 * The MPI applications end to end: {@code mpirun -np 2} Java ranks (real Open MPI through the FFM
 * binding), each an rFaaS client that leases an executor from a separate executor manager process
 * over tcp and offloads part of its work; results are compared with computations done here in the
 * test. Skipped (with the reason printed) only when {@code mpirun} is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MpiAppsSystemTest {
    Path dir;
    ManagerProcess manager;
    Path database;

    @BeforeAll
    void start() throws Exception {
        MpiRun.assumeMpirun("MpiAppsSystemTest");
        dir = SystemTestSupport.tempDir("mpi-apps");
        // spares of the ranks' heap size, so that most leases skip the executor JVM's boot
        String config = """
                {"node": "node0", "listen": ["tcp://127.0.0.1:0"], "cores": 4, "memoryMiB": 4096, "workDir": "%s",
                 "gracePeriodMillis": 2000, "flushIntervalMillis": 50, "spareExecutors": 2, "spareMemoryMiB": 256}
                """.formatted(dir.resolve("work"));
        manager = ManagerProcess.start(dir, config, 1);
        database = dir.resolve("executors.json");
        ExecutorsDatabase.write(database, List.of(new ExecutorNode("node0", manager.addresses.getFirst(), 4, 4096)));
    }

    @AfterAll
    void stop() {
        if (manager != null) {
            manager.close();
        }
        SystemTestSupport.deleteTree(dir);
    }

    private String mpirun(String mainClass, String... args) throws IOException, InterruptedException {
        return MpiRun.run(dir, mainClass, List.of(args));
    }

    private static Map<String, String> result(String out) {
        return AppRun.parseResult(out);
    }

    private String[] offloadArgs(String... more) {
        List<String> a = new ArrayList<>(List.of("--executors", database.toString(), "--check"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static double[] readDoubles(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return MemorySegment.ofArray(b).toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED);
    }

    @Test
    void mpiBindingWorksAcrossTwoRanks() throws Exception {
        String out = mpirun("org.rfaas.mpi.MpiCheck");
        assertTrue(out.contains("mpi-check ok ranks=2"), out);
    }

    @Test
    void blackScholesJavaKernelOffloadsHalfAndMatchesLocalAndTextbookPrices() throws Exception {
        Path prices = dir.resolve("bs-java.bin");
        Map<String, String> r = result(mpirun("org.rfaas.apps.blackscholes.BlackScholesApp",
                offloadArgs("--offload", "0.5", "--size", "4096", "--batch", "512", "--out", prices.toString())));
        assertEquals("bitwise-equal", r.get("check"));
        assertEquals(4, Long.parseLong(r.get("calls")), "2 ranks x 1024 offloaded options / 512 per batch");
        double[] got = readDoubles(prices);
        assertEquals(4096, got.length);

        // all-local in this JVM with the same kernel: bit for bit
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment options = arena.allocate(4096L * BlackScholesKernel.RECORD_BYTES, 8);
            OptionGenerator.generate(1, 4096, options);
            MemorySegment local = arena.allocate(8L * 4096, 8);
            BlackScholesKernel.priceAll(options, 0, 4096, local, 0);
            for (int i = 0; i < 4096; i++) {
                assertEquals(Double.doubleToRawLongBits(local.getAtIndex(ValueLayout.JAVA_DOUBLE, i)),
                        Double.doubleToRawLongBits(got[i]), "option " + i);
            }
            checkIndependently(options, got);
        }
    }

    @Test
    void blackScholesNativeKernelOffloadsMostAndMatchesIndependentPrices() throws Exception {
        Path prices = dir.resolve("bs-native.bin");
        Map<String, String> r = result(mpirun("org.rfaas.apps.blackscholes.BlackScholesApp",
                offloadArgs("--offload", "0.75", "--size", "4096", "--batch", "1024", "--kernel", "native",
                        "--out", prices.toString())));
        assertEquals("bitwise-equal", r.get("check"));
        assertEquals("native", r.get("kernel"));
        assertTrue(Long.parseLong(r.get("calls")) >= 4, r.toString());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment options = arena.allocate(4096L * BlackScholesKernel.RECORD_BYTES, 8);
            OptionGenerator.generate(1, 4096, options);
            checkIndependently(options, readDoubles(prices));
        }
    }

    /**
     * The test's own Black-Scholes (closed form, Abramowitz-Stegun 26.2.17 in Horner form,
     * {@link Math}'s exp/log) within 1e-9, and PARSEC's reference prices of its textbook rows
     * within 1e-4.
     */
    private static void checkIndependently(MemorySegment options, double[] got) {
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        int references = 0;
        for (int i = 0; i < got.length; i++) {
            long o = (long) i * 72;
            double s = options.get(d, o), k = options.get(d, o + 8), r = options.get(d, o + 16);
            double v = options.get(d, o + 32), t = options.get(d, o + 40);
            boolean put = options.get(d, o + 48) == 1.0;
            double d1 = (Math.log(s / k) + (r + v * v / 2) * t) / (v * Math.sqrt(t));
            double d2 = d1 - v * Math.sqrt(t);
            double expected = put ? k * Math.exp(-r * t) * normal(-d2) - s * normal(-d1)
                    : s * normal(d1) - k * Math.exp(-r * t) * normal(d2);
            assertEquals(expected, got[i], 1e-9 * Math.max(1, Math.abs(expected)), "option " + i);
            double reference = options.get(d, o + 64);
            if (!Double.isNaN(reference)) {
                assertEquals(reference, got[i], 1e-4, "PARSEC reference price of option " + i);
                references++;
            }
        }
        assertEquals(9, references, "the textbook rows carry PARSEC's reference prices");
    }

    private static double normal(double x) {
        double z = Math.abs(x);
        double k = 1 / (1 + 0.2316419 * z);
        double poly = k * (0.319381530 + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
        double tail = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI) * poly;
        return x < 0 ? tail : 1 - tail;
    }

    @Test
    void matmulOffloadsHalfTheRowsAndEqualsTheLocalProduct() throws Exception {
        int n = 96;
        Path c = dir.resolve("c.bin");
        Map<String, String> r = result(mpirun("org.rfaas.apps.matmul.MatmulApp",
                offloadArgs("--offload", "0.5", "--n", String.valueOf(n), "--out", c.toString())));
        assertEquals("bitwise-equal", r.get("check"));
        assertEquals(2, Long.parseLong(r.get("calls")));
        double[] got = readDoubles(c);
        SplittableRandom random = new SplittableRandom(1);
        double[] a = new double[n * n];
        double[] b = new double[n * n];
        for (int i = 0; i < n * n; i++) {
            a[i] = random.nextDouble() * 2 - 1;
            b[i] = random.nextDouble() * 2 - 1;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += a[i * n + k] * b[k * n + j];
                }
                assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(got[i * n + j]),
                        "C[" + i + "][" + j + "]");
            }
        }
    }

    @Test
    void jacobiOffloadsRowsEveryIterationAndConvergesToTheLocalField() throws Exception {
        int n = 40;
        Path field = dir.resolve("field.bin");
        Map<String, String> r = result(mpirun("org.rfaas.apps.jacobi.JacobiApp",
                offloadArgs("--offload", "0.5", "--n", String.valueOf(n), "--iterations", "150", "--tol", "1e-6",
                        "--kernel", "native", "--out", field.toString())));
        assertEquals("bitwise-equal", r.get("check"));
        int iterations = Integer.parseInt(r.get("iterations"));
        assertEquals(2L * iterations, Long.parseLong(r.get("calls")), "one call per rank per iteration");
        double[] got = readDoubles(field);
        // the whole grid serially, same update
        double[] u = new double[n * n];
        double[] w = new double[n * n];
        for (int j = 0; j < n; j++) {
            u[j] = 1.0;
            w[j] = 1.0;
        }
        for (int it = 0; it < iterations; it++) {
            for (int i = 1; i < n - 1; i++) {
                w[i * n] = u[i * n];
                w[i * n + n - 1] = u[i * n + n - 1];
                for (int j = 1; j < n - 1; j++) {
                    double s = u[(i - 1) * n + j] + u[(i + 1) * n + j];
                    s = s + u[i * n + j - 1];
                    s = s + u[i * n + j + 1];
                    w[i * n + j] = 0.25 * s;
                }
            }
            double[] t = u;
            u = w;
            w = t;
        }
        assertEquals((n - 2) * n, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(Double.doubleToRawLongBits(u[n + i]), Double.doubleToRawLongBits(got[i]), "point " + i);
        }
        assertTrue(u[n + n / 2] > 0, "heat flowed in from the top edge");
    }
}
