package org.rfaas.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExecutorShapeTest {
    @Test
    void acceptsTheBoundsAndConvertsTheHotTimeoutForTheWorker() {
        assertEquals(-1, new ExecutorShape(1, 1, ExecutorShape.ALWAYS_HOT, 1, 0, 0).hotTimeoutNanos());
        assertEquals(0, new ExecutorShape(1, 1, ExecutorShape.ALWAYS_WARM, 1, 0, 0).hotTimeoutNanos());
        ExecutorShape max = new ExecutorShape(Limits.MAX_CORES, ExecutorShape.MAX_MEMORY_MIB,
                Limits.MAX_HOT_TIMEOUT_MICROS, Limits.MAX_SLOTS_PER_WORKER, Limits.MAX_CAPACITY, Limits.MAX_CAPACITY);
        assertEquals(Limits.MAX_HOT_TIMEOUT_MICROS * 1000, max.hotTimeoutNanos());
    }

    @Test
    void refusesEachFieldOutOfRangeByName() {
        assertMessage("cores", () -> new ExecutorShape(0, 1, 0, 1, 0, 0));
        assertMessage("cores", () -> new ExecutorShape(Limits.MAX_CORES + 1, 1, 0, 1, 0, 0));
        assertMessage("memory", () -> new ExecutorShape(1, 0, 0, 1, 0, 0));
        assertMessage("memory", () -> new ExecutorShape(1, ExecutorShape.MAX_MEMORY_MIB + 1, 0, 1, 0, 0));
        assertMessage("hot timeout", () -> new ExecutorShape(1, 1, -2, 1, 0, 0));
        assertMessage("hot timeout", () -> new ExecutorShape(1, 1, Limits.MAX_HOT_TIMEOUT_MICROS + 1, 1, 0, 0));
        assertMessage("slots", () -> new ExecutorShape(1, 1, 0, 0, 0, 0));
        assertMessage("slots", () -> new ExecutorShape(1, 1, 0, Limits.MAX_SLOTS_PER_WORKER + 1, 0, 0));
        assertMessage("input capacity", () -> new ExecutorShape(1, 1, 0, 1, -1, 0));
        assertMessage("output capacity", () -> new ExecutorShape(1, 1, 0, 1, 0, Limits.MAX_CAPACITY + 1));
        assertMessage("hot timeout", () -> ExecutorShape.requireHotTimeoutMicros(-5));
    }

    private static void assertMessage(String field, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(field), x.getMessage());
    }
}
