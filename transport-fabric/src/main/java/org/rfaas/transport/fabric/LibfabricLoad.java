package org.rfaas.transport.fabric;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Loads {@code libfabric.so.1} on a thread of its own, so that {@link Fi} makes its downcall handles
 * meanwhile. Both take ~0.2 s in a fresh JVM here: the load mostly sleeps (the constructors of
 * Debian's {@code libinfinipath} and {@code libpsm2}, dependencies, each calibrate a clock for
 * ~0.1 s in short sleeps, and nothing skips them), the handles are CPU work that does not need the
 * library.
 *
 * <p>Self-contained on purpose: the loading thread runs while {@link Fi} is still initialising and
 * must not touch it (it would wait for that initialisation, which waits for the load).
 */
final class LibfabricLoad {
    private LibfabricLoad() {
    }

    /** The loaded library, or why it could not be loaded. */
    record Result(SymbolLookup library, String unavailable) {
    }

    /** Starts loading; the future completes with the library or the install hint. */
    static CompletableFuture<Result> start() {
        return CompletableFuture.supplyAsync(LibfabricLoad::load,
                r -> Thread.ofPlatform().daemon().name("rfaas-libfabric-load").start(r));
    }

    /**
     * libfabric parameters this process gets unless its environment sets them. The {@code ofi_rxm}
     * utility provider (over {@code tcp} and {@code verbs}) allocates and zeroes bounce buffers of
     * {@code FI_OFI_RXM_BUFFER_SIZE} (16 KiB) at every {@code fi_enable}: {@code FI_OFI_RXM_MSG_RX_SIZE}
     * posted receives (4096 with its shared receive context, the 1.17 default over tcp) and
     * {@code FI_OFI_RXM_MSG_TX_SIZE} (128) sends per endpoint. Each rFaaS connection has two
     * endpoints (data and wake-up), and its set-up took 60-100 ms with 4096 receives, then still
     * 220-300 ms a connection on a paravirtualised 2-vCPU VM (its page faults are slow) with 128:
     * nearly all of it page faults in {@code memset}. A connection never has more messages in flight
     * than its slots, the hot path writes with RMA, and eager sends here are hellos, nudges and
     * inputs up to 4 KiB: 64 receives and sends of 4 KiB take a connection's set-up to 30-50 ms.
     */
    static final List<Map.Entry<String, String>> PARAMETER_DEFAULTS = List.of(
            Map.entry("FI_OFI_RXM_MSG_RX_SIZE", "64"),
            Map.entry("FI_OFI_RXM_MSG_TX_SIZE", "64"),
            Map.entry("FI_OFI_RXM_BUFFER_SIZE", "4096"));

    /**
     * Sets {@link #PARAMETER_DEFAULTS} in this process's environment where it has no value yet, before
     * libfabric reads its parameters (at the first {@code fi_getinfo}). Done once, on the loading
     * thread before the load (no other thread of ours changes the C environment meanwhile), as MPI
     * libraries set their libfabric defaults.
     */
    private static void applyParameterDefaults() {
        try (Arena a = Arena.ofConfined()) {
            for (Map.Entry<String, String> p : PARAMETER_DEFAULTS) {
                int ret = (int) Signals.SETENV.invokeExact(a.allocateFrom(p.getKey()), a.allocateFrom(p.getValue()), 0);
                if (ret != 0) {
                    throw new IllegalStateException("setenv(" + p.getKey() + ") failed");
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException("cannot set libfabric's parameter defaults: " + t, t);
        }
    }

    private static Result load() {
        applyParameterDefaults();
        MemorySegment signals = Signals.save();
        try {
            return new Result(SymbolLookup.libraryLookup("libfabric.so.1", Arena.global()), null);
        } catch (IllegalArgumentException e) {
            return new Result(null, "libfabric.so.1 not found (" + e.getMessage()
                    + "); install it with `apt-get install libfabric1` (Debian/Ubuntu) or point LD_LIBRARY_PATH at"
                    + " your site's libfabric");
        } finally {
            Signals.restore(signals);
        }
    }

    /*
     * Debian's libfabric links libpsm_infinipath, whose constructor installs its own handlers for
     * SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGINT and SIGTERM (they write a "*.btr" backtrace file and
     * exit). The JVM relies on SIGSEGV internally (implicit null checks, safepoint polls), so with
     * those handlers in place the first such trap kills the JVM. Every handler is saved before
     * libfabric (or a provider it loads during fi_getinfo) can replace it, and the JVM's put back.
     * (Also holds setenv's handle: made by the loading thread, like sigaction's, not by the caller
     * of start(), where it would delay the load by a JVM's first-downcall cost.)
     */
    static final class Signals {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle SIGACTION = LINKER.downcallHandle(
                LINKER.defaultLookup().findOrThrow("sigaction"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        private static final MethodHandle SETENV = LINKER.downcallHandle(
                LINKER.defaultLookup().findOrThrow("setenv"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        /** Generous upper bound of {@code sizeof(struct sigaction)} (152 on x86-64 and aarch64 glibc). */
        private static final long SIGACTION_BYTES = 256;
        private static final int SIGNALS = 32;

        private Signals() {
        }

        static MemorySegment save() {
            MemorySegment saved = Arena.ofAuto().allocate(SIGACTION_BYTES * SIGNALS, 16);
            for (int sig = 1; sig < SIGNALS; sig++) {
                try {
                    int ignored = (int) SIGACTION.invokeExact(sig, MemorySegment.NULL,
                            saved.asSlice(sig * SIGACTION_BYTES, SIGACTION_BYTES));
                } catch (Throwable t) {
                    throw new IllegalStateException("sigaction(" + sig + ") failed", t);
                }
            }
            return saved;
        }

        static void restore(MemorySegment saved) {
            for (int sig = 1; sig < SIGNALS; sig++) {
                if (sig == 9 || sig == 19) {
                    continue; // SIGKILL and SIGSTOP cannot be caught
                }
                try {
                    int ignored = (int) SIGACTION.invokeExact(sig, saved.asSlice(sig * SIGACTION_BYTES, SIGACTION_BYTES),
                            MemorySegment.NULL);
                } catch (Throwable t) {
                    throw new IllegalStateException("sigaction(" + sig + ") failed", t);
                }
            }
        }
    }
}
