package org.rfaas.executormanager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class CoreMapTest {
    @Test
    void leasedCoresAreTheLeastUsedCpus() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 6, 8, 9}, CoreMap.parseList("0-3,6,8-9"));
        CoreMap cores = new CoreMap(new int[] {0, 1, 2});
        int[] a = cores.take(2);
        assertArrayEquals(new int[] {0, 1}, a);
        assertArrayEquals(new int[] {2}, cores.take(1));
        assertArrayEquals(new int[] {0, 1, 2}, cores.take(5), "more cores than CPUs: each CPU once");
        cores.release(a);
        assertArrayEquals(new int[] {0, 1}, cores.take(2));
    }
}
