package org.rfaas.systemtests.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.rfaas.function.FaasFunction;

/**
 * Functions a hostile tenant would ship: each tries one way out of its lease (read the manager's
 * files or another lease's, signal or trace another process, forge its bill, burn CPU the bill
 * does not see, fork without end, take memory or disk past its lease) and answers in text what
 * it got. {@link #writeJar} packages them like a tenant's JAR.
 */
public final class HostileFunctions {
    private HostileFunctions() {
    }

    public static final List<Class<? extends FaasFunction>> ALL = List.of(Read.class, Signal.class, Burn.class,
            BurnThreads.class, JoinThreads.class, Forge.class, ForkBomb.class, NativeAlloc.class, FillDisk.class);

    /** Writes the JAR of every function here. */
    public static Path writeJar(Path jar) {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            StringBuilder services = new StringBuilder();
            List<Class<?>> classes = new ArrayList<>(ALL);
            classes.add(HostileFunctions.class);
            classes.add(Text.class);
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(out);
                }
                out.closeEntry();
                if (FaasFunction.class.isAssignableFrom(c)) {
                    services.append(c.getName()).append('\n');
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + FaasFunction.class.getName()));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }

    /** Input and output as text. */
    static final class Text {
        private Text() {
        }

        static String in(MemorySegment input) {
            return new String(input.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8).trim();
        }

        static int out(MemorySegment output, String text) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(b.length, output.byteSize());
            MemorySegment.copy(b, 0, output, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }
    }

    /** {@code read PATH}: the first bytes of a file, or DENIED and why. */
    public static final class Read implements FaasFunction {
        @Override
        public String name() {
            return "read";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            try (InputStream in = Files.newInputStream(Path.of(Text.in(input)))) {
                return Text.out(output, "READ:" + new String(in.readNBytes(48), StandardCharsets.ISO_8859_1));
            } catch (IOException | RuntimeException e) {
                return Text.out(output, "DENIED:" + e.getClass().getSimpleName());
            }
        }
    }

    /** {@code signal PID}: kill(2) with SIGKILL and ptrace(2) attach, through FFM; their return values. */
    public static final class Signal implements FaasFunction {
        @Override
        public String name() {
            return "signal";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) throws Exception {
            try {
                return attempt(Integer.parseInt(Text.in(input)), output);
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        private static int attempt(int pid, MemorySegment output) throws Throwable {
            Linker linker = Linker.nativeLinker();
            MethodHandle kill = linker.downcallHandle(linker.defaultLookup().find("kill").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle ptrace = linker.downcallHandle(linker.defaultLookup().find("ptrace").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            long traced = (long) ptrace.invokeExact(16 /* PTRACE_ATTACH */, pid, MemorySegment.NULL, MemorySegment.NULL);
            int killed = (int) kill.invokeExact(pid, 9);
            return Text.out(output, "visible=" + ProcessHandle.of(pid).isPresent() + " ptrace=" + traced
                    + " kill=" + killed + " processes=" + ProcessHandle.allProcesses().count());
        }
    }

    /** Spins on this thread until it used {@code MS} milliseconds of CPU (billed the honest way). */
    public static final class Burn implements FaasFunction {
        @Override
        public String name() {
            return "burn";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            return Text.out(output, Long.toString(BurnThreads.spin(Long.parseLong(Text.in(input)) * 1_000_000)));
        }
    }

    /** {@code N MS}: starts N threads that each spin for MS of CPU, and returns at once. */
    public static final class BurnThreads implements FaasFunction {
        static final List<Thread> THREADS = new ArrayList<>();
        static final AtomicLong BURNED = new AtomicLong();

        @Override
        public String name() {
            return "burn-threads";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            String[] a = Text.in(input).split(" ");
            long nanos = Long.parseLong(a[1]) * 1_000_000;
            for (int i = 0; i < Integer.parseInt(a[0]); i++) {
                Thread t = new Thread(() -> BURNED.addAndGet(spin(nanos)), "not-billed-" + i);
                t.start();
                synchronized (THREADS) {
                    THREADS.add(t);
                }
            }
            return Text.out(output, "started");
        }

        /** Spins until this thread's CPU time grew by {@code nanos}; returns the CPU time it used. */
        static long spin(long nanos) {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long start = mx.getCurrentThreadCpuTime();
            long x = 0;
            while (mx.getCurrentThreadCpuTime() - start < nanos) {
                for (int i = 0; i < 10_000; i++) {
                    x += i * 31L ^ x;
                }
            }
            return mx.getCurrentThreadCpuTime() - start + (x == 42 ? 1 : 0);
        }
    }

    /** Waits for the threads of {@link BurnThreads}; returns the CPU nanoseconds they used. */
    public static final class JoinThreads implements FaasFunction {
        @Override
        public String name() {
            return "join-threads";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) throws InterruptedException {
            List<Thread> threads;
            synchronized (BurnThreads.THREADS) {
                threads = List.copyOf(BurnThreads.THREADS);
            }
            for (Thread t : threads) {
                t.join();
            }
            return Text.out(output, Long.toString(BurnThreads.BURNED.get()));
        }
    }

    /**
     * {@code zero} or {@code max}: writes the accounting counters the executor shares with its
     * manager (an shm connection's mapping, found in /proc/self/maps) through FFM; answers how many
     * it wrote.
     */
    public static final class Forge implements FaasFunction {
        @Override
        public String name() {
            return "forge";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) throws IOException {
            long value = Text.in(input).equals("max") ? Long.MAX_VALUE / 4 : 0;
            int written = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (!line.contains("rfaas-shm-") || !line.split("\\s+")[1].startsWith("rw")) {
                    continue;
                }
                String[] range = line.split("\\s+")[0].split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long size = Long.parseUnsignedLong(range[1], 16) - start;
                MemorySegment file = MemorySegment.ofAddress(start).reinterpret(size);
                // The connection file's header: the listener's inbox (slots, slot size, counters, ring).
                int slots = file.get(ValueLayout.JAVA_INT_UNALIGNED, 16);
                int counters = file.get(ValueLayout.JAVA_INT_UNALIGNED, 24);
                int ring = file.get(ValueLayout.JAVA_INT_UNALIGNED, 28);
                if (counters != 4 || slots != 2 || ring <= 0 || ring > 1024) {
                    continue; // not the accounting connection
                }
                long offset = (128 + 256 + ring * 64L + 127) & -128L;
                for (int i = 0; i < 2; i++) { // compute and hot-polling nanoseconds
                    file.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8L * i, value);
                    written++;
                }
            }
            return Text.out(output, "forged=" + written);
        }
    }

    /** Starts processes without end (a shell loop of background sleeps); answers at once. */
    public static final class ForkBomb implements FaasFunction {
        @Override
        public String name() {
            return "fork-bomb";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) throws IOException {
            new ProcessBuilder("/bin/sh", "-c", "i=0; while [ $i -lt 5000 ]; do sleep 300 & i=$((i+1)); done; wait")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return Text.out(output, "forking");
        }
    }

    /** Allocates and touches native memory, 16 MiB at a time, up to {@code MIB}. */
    public static final class NativeAlloc implements FaasFunction {
        static final List<MemorySegment> KEPT = new ArrayList<>();

        @Override
        public String name() {
            return "native-alloc";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            long mib = Long.parseLong(Text.in(input));
            for (long done = 0; done < mib; done += 16) {
                MemorySegment s = java.lang.foreign.Arena.global().allocate(16L << 20); // zeroed: every page touched
                KEPT.add(s);
            }
            return Text.out(output, "allocated " + mib + " MiB");
        }
    }

    /** Writes to {@code DIR} until the file system says no; answers how many MiB went in. */
    public static final class FillDisk implements FaasFunction {
        @Override
        public String name() {
            return "fill-disk";
        }

        @Override
        public int invoke(MemorySegment input, MemorySegment output) {
            Path file = Path.of(Text.in(input), "fill");
            byte[] mib = new byte[1 << 20];
            long written = 0;
            try (OutputStream out = Files.newOutputStream(file)) {
                while (written < 4096) {
                    out.write(mib);
                    written++;
                }
                return Text.out(output, "WROTE:" + written);
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // The answer below says enough.
                }
                return Text.out(output, "STOPPED:" + written + ":" + e.getClass().getSimpleName());
            }
        }
    }
}
