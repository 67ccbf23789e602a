package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KernelRandomTest {
    @Test
    void fillsWholeArraysWithBytesThatDoNotRepeat() {
        byte[] big = new byte[4096];
        KernelRandom.nextBytes(big);
        int[] counts = new int[256];
        for (byte b : big) {
            counts[b & 0xff]++;
        }
        int zeros = counts[0];
        assertTrue(zeros < 64, "4096 random bytes hold " + zeros + " zeros");
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            seen.add(KernelRandom.nextLong());
        }
        assertEquals(1000, seen.size(), "1,000 random longs repeated");
        byte[] empty = new byte[0];
        KernelRandom.nextBytes(empty);
    }

    @Test
    void anInterruptedCallerGetsBytesAndLaterCallersStillDo() throws Exception {
        // An interrupted thread's read closes the shared device channel (ClosedByInterruptException):
        // that caller still gets random bytes, keeps its interrupt, and the next caller reopens it.
        byte[][] got = new byte[2][];
        boolean[] stillInterrupted = new boolean[1];
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            got[0] = new byte[32];
            KernelRandom.nextBytes(got[0]);
            stillInterrupted[0] = Thread.currentThread().isInterrupted();
        });
        t.start();
        t.join();
        got[1] = new byte[32];
        KernelRandom.nextBytes(got[1]);
        assertTrue(stillInterrupted[0], "the caller's interrupt was swallowed");
        assertFalse(java.util.Arrays.equals(got[0], new byte[32]), "the interrupted caller got zeros");
        assertFalse(java.util.Arrays.equals(got[1], new byte[32]), "the next caller got zeros");
        assertFalse(java.util.Arrays.equals(got[0], got[1]), "two calls gave the same bytes");
    }
}
