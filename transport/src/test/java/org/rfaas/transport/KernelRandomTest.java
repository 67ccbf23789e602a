package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
