package org.rfaas.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Exercises every call of {@link Mpi} and checks the results: run it with
 * {@code mpirun -np N java --enable-native-access=ALL-UNNAMED -cp rfaas-mpi.jar org.rfaas.mpi.MpiCheck}.
 * Rank 0 prints {@code mpi-check ok ranks=N} when every rank passed; a failing rank exits with 1.
 */
public final class MpiCheck {
    private MpiCheck() {
    }

    /** Entry point (no arguments). */
    public static void main(String[] args) {
        Mpi.init();
        int rank = Mpi.rank();
        int size = Mpi.size();
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        int failures = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(d, 4);
            if (rank == 0) {
                for (int i = 0; i < 4; i++) {
                    b.setAtIndex(d, i, 1.5 * i);
                }
            }
            Mpi.bcast(b, 4, Mpi.Datatype.DOUBLE, 0);
            failures += b.getAtIndex(d, 3) == 4.5 ? 0 : fail(rank, "bcast");

            double sum = Mpi.allreduce(rank + 1.0, Mpi.Op.SUM);
            failures += sum == size * (size + 1) / 2.0 ? 0 : fail(rank, "allreduce sum " + sum);
            double max = Mpi.allreduce(rank, Mpi.Op.MAX);
            failures += max == size - 1 ? 0 : fail(rank, "allreduce max " + max);

            // scatterv rank r gets r+1 elements, gatherv brings them back doubled
            int total = size * (size + 1) / 2;
            int[] counts = new int[size];
            int[] displs = new int[size];
            for (int r = 0, off = 0; r < size; off += r + 1, r++) {
                counts[r] = r + 1;
                displs[r] = off;
            }
            MemorySegment all = a.allocate(d, total);
            for (int i = 0; i < total; i++) {
                all.setAtIndex(d, i, i);
            }
            MemorySegment mine = a.allocate(d, rank + 1);
            Mpi.scatterv(all, counts, displs, mine, rank + 1, Mpi.Datatype.DOUBLE, 0);
            for (int i = 0; i <= rank; i++) {
                failures += mine.getAtIndex(d, i) == displs[rank] + i ? 0 : fail(rank, "scatterv");
                mine.setAtIndex(d, i, 2 * mine.getAtIndex(d, i));
            }
            MemorySegment back = a.allocate(d, total);
            Mpi.gatherv(mine, rank + 1, back, counts, displs, Mpi.Datatype.DOUBLE, 0);
            if (rank == 0) {
                for (int i = 0; i < total; i++) {
                    failures += back.getAtIndex(d, i) == 2.0 * i ? 0 : fail(rank, "gatherv");
                }
            }

            // ring with send/recv (even ranks send first) and with sendrecv
            MemorySegment out = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) rank, (byte) 7);
            MemorySegment in = a.allocate(2);
            int next = (rank + 1) % size;
            int prev = (rank + size - 1) % size;
            if (size > 1) {
                if (rank % 2 == 0) {
                    Mpi.send(out, 2, Mpi.Datatype.BYTE, next, 1);
                    Mpi.recv(in, 2, Mpi.Datatype.BYTE, prev, 1);
                } else {
                    Mpi.recv(in, 2, Mpi.Datatype.BYTE, prev, 1);
                    Mpi.send(out, 2, Mpi.Datatype.BYTE, next, 1);
                }
                failures += in.get(ValueLayout.JAVA_BYTE, 0) == prev ? 0 : fail(rank, "send/recv");
            }
            MemorySegment x = a.allocateFrom(d, rank);
            MemorySegment y = a.allocate(d);
            Mpi.sendrecv(x, 1, next, y, 1, prev, Mpi.Datatype.DOUBLE, 2);
            failures += y.get(d, 0) == prev ? 0 : fail(rank, "sendrecv");

            double t0 = Mpi.wtime();
            Mpi.barrier();
            failures += Mpi.wtime() >= t0 ? 0 : fail(rank, "wtime");

            double bad = Mpi.allreduce(failures, Mpi.Op.SUM);
            if (rank == 0 && bad == 0) {
                System.out.println("mpi-check ok ranks=" + size);
            }
        }
        Mpi.finalizeMpi();
        System.exit(failures == 0 ? 0 : 1);
    }

    private static int fail(int rank, String what) {
        System.err.println("mpi-check rank " + rank + ": " + what + " wrong");
        return 1;
    }
}
