package org.rfaas.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rfaas.apps.blackscholes.BlackScholesFunction;
import org.rfaas.apps.blackscholes.BlackScholesKernel;
import org.rfaas.apps.blackscholes.OptionGenerator;
import org.rfaas.apps.common.AppPackages;
import org.rfaas.apps.common.NativeKernels;
import org.rfaas.apps.jacobi.JacobiFunction;
import org.rfaas.apps.jacobi.JacobiKernel;
import org.rfaas.apps.matmul.MatmulFunction;
import org.rfaas.apps.matmul.MatmulKernel;

/** The kernels, their function wire formats, and Java against native. */
class KernelsTest {
    static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;

    @Test
    void blackScholesMatchesParsecReferencePrices() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment options = a.allocate(16L * BlackScholesKernel.RECORD_BYTES, 8);
            OptionGenerator.generate(7, 16, options);
            MemorySegment prices = a.allocate(8L * 16, 8);
            BlackScholesKernel.priceAll(options, 0, 16, prices, 0);
            int checked = 0;
            for (int i = 0; i < 16; i++) {
                double ref = options.get(D, (long) i * 72 + BlackScholesKernel.DGREFVAL);
                if (!Double.isNaN(ref)) {
                    assertEquals(ref, prices.getAtIndex(D, i), 1e-4, "option " + i);
                    checked++;
                }
            }
            assertEquals(9, checked);
        }
    }

    @Test
    void generatorIsDeterministicAndSizesAreParsecs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(100L * 72, 8);
            MemorySegment y = a.allocate(100L * 72, 8);
            OptionGenerator.generate(3, 100, x);
            OptionGenerator.generate(3, 100, y);
            assertEquals(-1, x.mismatch(y));
            OptionGenerator.generate(4, 100, y);
            assertTrue(x.mismatch(y) >= 9 * 72, "rows after the textbook ones depend on the seed");
        }
        assertEquals(4096, OptionGenerator.size("simsmall"));
        assertEquals(16384, OptionGenerator.size("simmedium"));
        assertEquals(65536, OptionGenerator.size("simlarge"));
        assertEquals(10_000_000, OptionGenerator.size("native"));
    }

    @Test
    void functionsWriteTheKernelsResultAndATimeTrailer() throws Exception {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment options = a.allocate(BlackScholesFunction.HEADER + 50L * 72, 8);
            options.set(ValueLayout.JAVA_INT, 0, 3); // runs
            OptionGenerator.generate(1, 50, options.asSlice(BlackScholesFunction.HEADER));
            MemorySegment out = a.allocate(50 * 8 + 8, 8);
            assertEquals(50 * 8 + 8, new BlackScholesFunction().invoke(options, out));
            MemorySegment local = a.allocate(50 * 8, 8);
            BlackScholesKernel.priceAll(options, BlackScholesFunction.HEADER, 50, local, 0);
            assertEquals(-1, out.asSlice(0, 400).mismatch(local));
            assertTrue(out.get(ValueLayout.JAVA_LONG_UNALIGNED, 400) > 0, "kernel time");
            options.set(ValueLayout.JAVA_INT, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> new BlackScholesFunction().invoke(options, out), "0 runs");
            options.set(ValueLayout.JAVA_INT, 0, 1);
            assertThrows(IllegalArgumentException.class,
                    () -> new BlackScholesFunction().invoke(options.asSlice(0, options.byteSize() - 1), out), "a torn record");

            int rows = 3, cols = 6;
            MemorySegment in = a.allocate(JacobiKernel.HEADER + 8L * (rows + 2) * cols, 8);
            in.set(ValueLayout.JAVA_INT, 0, rows);
            in.set(ValueLayout.JAVA_INT, 4, cols);
            for (int i = 0; i < (rows + 2) * cols; i++) {
                in.set(D, 8 + 8L * i, i * 0.5);
            }
            MemorySegment jout = a.allocate(8L * rows * cols + 8, 8);
            assertEquals(8 * rows * cols + 8, new JacobiFunction().invoke(in, jout));
            // the interior point (row 1, col 1) of the first output row: up=0.5, down=6.5, left=3, right=4
            assertEquals(0.25 * (((0.5 + 6.5) + 3.0) + 4.0), jout.get(D, 8));
            assertThrows(IllegalArgumentException.class, () -> new JacobiFunction().invoke(in.asSlice(0, in.byteSize() - 8), jout));
            MemorySegment bad = a.allocate(16, 8);
            bad.set(ValueLayout.JAVA_INT, 0, 4);
            assertThrows(IllegalArgumentException.class, () -> new MatmulFunction().invoke(bad, jout));
        }
    }

    @Test
    void nativeKernelsAgreeWithJava(@TempDir Path dir) {
        NativeKernels nat = new NativeKernels(AppPackages.buildNativeLibrary(dir));
        SplittableRandom random = new SplittableRandom(5);
        try (Arena a = Arena.ofConfined()) {
            int n = 33, rows = 7;
            MemorySegment am = a.allocate(8L * rows * n, 8);
            MemorySegment bm = a.allocate(8L * n * n, 8);
            for (long i = 0; i < (long) rows * n; i++) {
                am.setAtIndex(D, i, random.nextDouble() - 0.5);
            }
            for (long i = 0; i < (long) n * n; i++) {
                bm.setAtIndex(D, i, random.nextDouble() - 0.5);
            }
            MemorySegment cj = a.allocate(8L * rows * n, 8);
            MemorySegment cn = a.allocate(8L * rows * n, 8);
            MatmulKernel.multiply(am, 0, bm, 0, cj, 0, rows, n);
            nat.matmul(am, bm, cn, rows, n);
            assertEquals(-1, cj.mismatch(cn), "matmul bit for bit");

            MemorySegment src = a.allocate(8L * (rows + 2) * n, 8);
            for (long i = 0; i < (long) (rows + 2) * n; i++) {
                src.setAtIndex(D, i, random.nextDouble());
            }
            MemorySegment dj = a.allocate(8L * rows * n, 8);
            MemorySegment dn = a.allocate(8L * rows * n, 8);
            JacobiKernel.sweep(src, 0, dj, 0, rows, n);
            nat.jacobi(src, dn, rows, n);
            assertEquals(-1, dj.mismatch(dn), "jacobi bit for bit");

            int count = 2000;
            MemorySegment options = a.allocate(72L * count, 8);
            OptionGenerator.generate(9, count, options);
            MemorySegment pj = a.allocate(8L * count, 8);
            MemorySegment pn = a.allocate(8L * count, 8);
            BlackScholesKernel.priceAll(options, 0, count, pj, 0);
            nat.blackscholes(options, count, pn);
            for (int i = 0; i < count; i++) {
                // glibc's exp/log against fdlibm's: equal up to the last bits
                assertEquals(pj.getAtIndex(D, i), pn.getAtIndex(D, i), 1e-12 * Math.max(1, Math.abs(pj.getAtIndex(D, i))));
            }
        }
    }

    @Test
    void functionJarHoldsOnlyTheFunctionsAndKernels(@TempDir Path dir) throws Exception {
        Path jar = AppPackages.writeJar(dir.resolve("f.jar"));
        try (var z = new java.util.zip.ZipFile(jar.toFile())) {
            assertEquals(7, z.size(), "3 functions, 3 kernels, the service list");
            String services = new String(z.getInputStream(z.getEntry("META-INF/services/org.rfaas.function.FaasFunction"))
                    .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(3, services.lines().count());
        }
        assertTrue(Files.size(jar) > 0);
    }
}
