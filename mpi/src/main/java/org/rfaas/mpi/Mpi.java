package org.rfaas.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A small binding of Open MPI (4.x, {@code libmpi.so.40}) through the FFM API: the calls the rFaaS
 * applications use, on {@code MPI_COMM_WORLD}.
 *
 * <p>Buffers are {@link MemorySegment}s (native memory, e.g. from an {@link Arena}); counts are in
 * elements of the named {@link Datatype}. Every call checks the MPI return code and throws
 * {@link MpiException} on failure (Open MPI's default error handler aborts first, so in practice
 * errors end the job as in C).
 *
 * <p>Open MPI's predefined handles ({@code MPI_COMM_WORLD}, {@code MPI_DOUBLE}, {@code MPI_SUM}, ...)
 * are the addresses of global objects ({@code ompi_mpi_comm_world}, {@code ompi_mpi_double},
 * {@code ompi_mpi_op_sum}); they are looked up once. The library is opened with
 * {@code RTLD_GLOBAL} first, because Open MPI's plugins (loaded with {@code dlopen} during
 * {@code MPI_Init}) resolve symbols of {@code libmpi} globally.
 *
 * <p>A JVM uses {@code SIGSEGV}/{@code SIGBUS} internally; Open MPI would install its own handlers
 * for them (MCA parameter {@code opal_signal}) and turn the JVM's routine faults into aborts, so
 * {@link #init()} sets {@code OMPI_MCA_opal_signal} to an empty list unless the user set it.
 *
 * <p>Not thread-safe (MPI_THREAD_SINGLE semantics): call from one thread per process.
 */
public final class Mpi {
    private Mpi() {
    }

    /** Element types of MPI buffers. */
    public enum Datatype {
        /** {@code MPI_BYTE}. */
        BYTE("ompi_mpi_byte", 1),
        /** {@code MPI_INT} (32-bit). */
        INT("ompi_mpi_int", 4),
        /** {@code MPI_LONG} (64-bit on LP64). */
        LONG("ompi_mpi_long", 8),
        /** {@code MPI_DOUBLE}. */
        DOUBLE("ompi_mpi_double", 8);

        final String symbol;
        /** Size of one element in bytes. */
        public final int size;

        Datatype(String symbol, int size) {
            this.symbol = symbol;
            this.size = size;
        }
    }

    /** Reduction operations. */
    public enum Op {
        /** {@code MPI_SUM}. */
        SUM("ompi_mpi_op_sum"),
        /** {@code MPI_MAX}. */
        MAX("ompi_mpi_op_max"),
        /** {@code MPI_MIN}. */
        MIN("ompi_mpi_op_min");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }
    }

    /** The Open MPI library this binding was written against (ABI of Open MPI 4.x). */
    public static final String LIBRARY = "libmpi.so.40";

    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout A = ValueLayout.ADDRESS;
    private static final SymbolLookup LIB = openLibrary();
    private static final MemorySegment COMM_WORLD = symbol("ompi_mpi_comm_world");
    private static final MemorySegment[] TYPES = new MemorySegment[Datatype.values().length];
    private static final MemorySegment[] OPS = new MemorySegment[Op.values().length];

    static {
        for (Datatype t : Datatype.values()) {
            TYPES[t.ordinal()] = symbol(t.symbol);
        }
        for (Op o : Op.values()) {
            OPS[o.ordinal()] = symbol(o.symbol);
        }
    }

    private static final MethodHandle INIT = handle("MPI_Init", FunctionDescriptor.of(I, A, A));
    private static final MethodHandle INITIALIZED = handle("MPI_Initialized", FunctionDescriptor.of(I, A));
    private static final MethodHandle FINALIZED = handle("MPI_Finalized", FunctionDescriptor.of(I, A));
    private static final MethodHandle FINALIZE = handle("MPI_Finalize", FunctionDescriptor.of(I));
    private static final MethodHandle ABORT = handle("MPI_Abort", FunctionDescriptor.of(I, A, I));
    private static final MethodHandle COMM_RANK = handle("MPI_Comm_rank", FunctionDescriptor.of(I, A, A));
    private static final MethodHandle COMM_SIZE = handle("MPI_Comm_size", FunctionDescriptor.of(I, A, A));
    private static final MethodHandle BARRIER = handle("MPI_Barrier", FunctionDescriptor.of(I, A));
    // int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
    private static final MethodHandle BCAST = handle("MPI_Bcast", FunctionDescriptor.of(I, A, I, A, I, A));
    // int MPI_Scatterv(const void *sbuf, const int counts[], const int displs[], MPI_Datatype stype,
    //                  void *rbuf, int rcount, MPI_Datatype rtype, int root, MPI_Comm comm)
    private static final MethodHandle SCATTERV = handle("MPI_Scatterv",
            FunctionDescriptor.of(I, A, A, A, A, A, I, A, I, A));
    // int MPI_Gatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
    //                 const int counts[], const int displs[], MPI_Datatype rtype, int root, MPI_Comm comm)
    private static final MethodHandle GATHERV = handle("MPI_Gatherv",
            FunctionDescriptor.of(I, A, I, A, A, A, A, A, I, A));
    // int MPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
    private static final MethodHandle ALLREDUCE = handle("MPI_Allreduce", FunctionDescriptor.of(I, A, A, I, A, A, A));
    // int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
    private static final MethodHandle SEND = handle("MPI_Send", FunctionDescriptor.of(I, A, I, A, I, I, A));
    // int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm, MPI_Status *status)
    private static final MethodHandle RECV = handle("MPI_Recv", FunctionDescriptor.of(I, A, I, A, I, I, A, A));
    // int MPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag,
    //                  void *rbuf, int rcount, MPI_Datatype rtype, int source, int rtag, MPI_Comm comm, MPI_Status *st)
    private static final MethodHandle SENDRECV = handle("MPI_Sendrecv",
            FunctionDescriptor.of(I, A, I, A, I, I, A, I, A, I, I, A, A));
    private static final MethodHandle WTIME = handle("MPI_Wtime", FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE));
    private static final MethodHandle SETENV = LINKER.downcallHandle(LINKER.defaultLookup().find("setenv").orElseThrow(),
            FunctionDescriptor.of(I, A, A, I));

    /** {@code MPI_PROC_NULL} in Open MPI: a send/receive partner that makes the call a no-op. */
    public static final int PROC_NULL = -2;

    private static SymbolLookup openLibrary() {
        try {
            MethodHandle dlopen = LINKER.downcallHandle(LINKER.defaultLookup().find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(A, A, I));
            final int rtldNowGlobal = 0x2 | 0x100; // RTLD_NOW | RTLD_GLOBAL (glibc)
            try (Arena a = Arena.ofConfined()) {
                MemorySegment h = (MemorySegment) dlopen.invokeExact(a.allocateFrom(LIBRARY), rtldNowGlobal);
                if (h.equals(MemorySegment.NULL)) {
                    throw new MpiException("cannot dlopen " + LIBRARY + " (install Open MPI: apt-get install openmpi-bin libopenmpi-dev)");
                }
            }
            return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (MpiException e) {
            throw e;
        } catch (Throwable t) {
            throw new MpiException("cannot load " + LIBRARY + ": " + t, t);
        }
    }

    private static MemorySegment symbol(String name) {
        return LIB.find(name).orElseThrow(() -> new MpiException(LIBRARY + " has no symbol " + name));
    }

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(symbol(name), d);
    }

    private static void check(String call, int rc) {
        if (rc != 0) {
            throw new MpiException(call + " failed with MPI error code " + rc);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new MpiException(t.toString(), t);
    }

    /**
     * {@code MPI_Init(NULL, NULL)}; does nothing if MPI is already initialised. Outside
     * {@code mpirun} this is a singleton job of one rank.
     */
    public static void init() {
        try (Arena a = Arena.ofConfined()) {
            if (flag(INITIALIZED, a)) {
                return;
            }
            if (System.getenv("OMPI_MCA_opal_signal") == null) {
                int rc = (int) SETENV.invokeExact(a.allocateFrom("OMPI_MCA_opal_signal"), a.allocateFrom(""), 0);
                check("setenv", rc);
            }
            check("MPI_Init", (int) INIT.invokeExact(MemorySegment.NULL, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static boolean flag(MethodHandle h, Arena a) throws Throwable {
        MemorySegment f = a.allocate(I);
        check("MPI_Initialized/Finalized", (int) h.invokeExact(f));
        return f.get(I, 0) != 0;
    }

    /** {@code MPI_Finalize()}; does nothing if MPI was never initialised or is already finalised. */
    public static void finalizeMpi() {
        try (Arena a = Arena.ofConfined()) {
            if (!flag(INITIALIZED, a) || flag(FINALIZED, a)) {
                return;
            }
            check("MPI_Finalize", (int) FINALIZE.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code MPI_Abort(MPI_COMM_WORLD, code)}: ends every rank of the job. */
    public static void abort(int code) {
        try {
            int rc = (int) ABORT.invokeExact(COMM_WORLD, code);
            check("MPI_Abort", rc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** This process's rank in {@code MPI_COMM_WORLD}. */
    public static int rank() {
        return commQuery(COMM_RANK, "MPI_Comm_rank");
    }

    /** The number of ranks in {@code MPI_COMM_WORLD}. */
    public static int size() {
        return commQuery(COMM_SIZE, "MPI_Comm_size");
    }

    private static int commQuery(MethodHandle h, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(I);
            check(name, (int) h.invokeExact(COMM_WORLD, out));
            return out.get(I, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code MPI_Barrier(MPI_COMM_WORLD)}. */
    public static void barrier() {
        try {
            check("MPI_Barrier", (int) BARRIER.invokeExact(COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code MPI_Wtime()}: seconds since an arbitrary point in the past. */
    public static double wtime() {
        try {
            return (double) WTIME.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Broadcasts {@code count} elements of {@code buf} from {@code root} to every rank. */
    public static void bcast(MemorySegment buf, int count, Datatype type, int root) {
        checkSize(buf, count, type);
        try {
            check("MPI_Bcast", (int) BCAST.invokeExact(buf, count, TYPES[type.ordinal()], root, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code MPI_Scatterv}: the root sends {@code counts[r]} elements starting at element
     * {@code displs[r]} of {@code send} to rank r, which receives {@code recvCount} elements into
     * {@code recv}. {@code send}, {@code counts} and {@code displs} matter only at the root.
     */
    public static void scatterv(MemorySegment send, int[] counts, int[] displs, MemorySegment recv, int recvCount,
            Datatype type, int root) {
        checkSize(recv, recvCount, type);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = counts == null ? MemorySegment.NULL : a.allocateFrom(I, counts);
            MemorySegment d = displs == null ? MemorySegment.NULL : a.allocateFrom(I, displs);
            MemorySegment t = TYPES[type.ordinal()];
            check("MPI_Scatterv", (int) SCATTERV.invokeExact(send, c, d, t, recv, recvCount, t, root, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code MPI_Gatherv}: every rank sends {@code sendCount} elements of {@code send}; the root
     * stores rank r's at element {@code displs[r]} of {@code recv} ({@code counts[r]} elements).
     */
    public static void gatherv(MemorySegment send, int sendCount, MemorySegment recv, int[] counts, int[] displs,
            Datatype type, int root) {
        checkSize(send, sendCount, type);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = counts == null ? MemorySegment.NULL : a.allocateFrom(I, counts);
            MemorySegment d = displs == null ? MemorySegment.NULL : a.allocateFrom(I, displs);
            MemorySegment t = TYPES[type.ordinal()];
            check("MPI_Gatherv", (int) GATHERV.invokeExact(send, sendCount, t, recv, c, d, t, root, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code MPI_Allreduce}: element-wise {@code op} of every rank's {@code send} into every rank's {@code recv}. */
    public static void allreduce(MemorySegment send, MemorySegment recv, int count, Datatype type, Op op) {
        checkSize(send, count, type);
        checkSize(recv, count, type);
        try {
            check("MPI_Allreduce", (int) ALLREDUCE.invokeExact(send, recv, count, TYPES[type.ordinal()],
                    OPS[op.ordinal()], COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reduces one double over all ranks (a convenience over {@link #allreduce}). */
    public static double allreduce(double value, Op op) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocateFrom(ValueLayout.JAVA_DOUBLE, value);
            MemorySegment r = a.allocate(ValueLayout.JAVA_DOUBLE);
            allreduce(s, r, 1, Datatype.DOUBLE, op);
            return r.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }

    /** Blocking {@code MPI_Send} of {@code count} elements to {@code dest}. */
    public static void send(MemorySegment buf, int count, Datatype type, int dest, int tag) {
        checkSize(buf, count, type);
        try {
            check("MPI_Send", (int) SEND.invokeExact(buf, count, TYPES[type.ordinal()], dest, tag, COMM_WORLD));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocking {@code MPI_Recv} of up to {@code count} elements from {@code source} (status ignored). */
    public static void recv(MemorySegment buf, int count, Datatype type, int source, int tag) {
        checkSize(buf, count, type);
        try {
            check("MPI_Recv", (int) RECV.invokeExact(buf, count, TYPES[type.ordinal()], source, tag, COMM_WORLD,
                    MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code MPI_Sendrecv}: sends to {@code dest} and receives from {@code source} in one call, the
     * deadlock-free way to exchange halos; either partner may be {@link #PROC_NULL}.
     */
    public static void sendrecv(MemorySegment send, int sendCount, int dest, MemorySegment recv, int recvCount,
            int source, Datatype type, int tag) {
        checkSize(send, sendCount, type);
        checkSize(recv, recvCount, type);
        MemorySegment t = TYPES[type.ordinal()];
        try {
            check("MPI_Sendrecv", (int) SENDRECV.invokeExact(send, sendCount, t, dest, tag, recv, recvCount, t, source,
                    tag, COMM_WORLD, MemorySegment.NULL));
        } catch (Throwable t2) {
            throw rethrow(t2);
        }
    }

    private static void checkSize(MemorySegment buf, int count, Datatype type) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count " + count);
        }
        if (!buf.isNative() && count > 0) {
            throw new IllegalArgumentException("MPI buffers must be native memory segments");
        }
        if (count > 0 && buf.byteSize() < (long) count * type.size) {
            throw new IllegalArgumentException("buffer of " + buf.byteSize() + " B is smaller than " + count + " x "
                    + type + " (" + (long) count * type.size + " B)");
        }
    }
}
