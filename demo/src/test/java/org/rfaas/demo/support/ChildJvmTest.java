package org.rfaas.demo.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child JVM's stdout lines reach the parent's callback whether they came before its READY line
 * or after it: a node prints its one "STATE settled" line when it is so, which can be before READY,
 * and a measurement that missed it waited 20 s for a state it never heard of.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChildJvmTest {
    @Test
    void linesBeforeAndAfterReadyReachTheCallback() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        ChildJvm child = ChildJvm.start(Child.class.getName(), List.of("-Xmx64m"), List.of(), Duration.ofSeconds(30),
                lines::add);
        try {
            assertEquals("value", child.ready());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (lines.size() < 2 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertTrue(lines.contains("STATE before"), "the line before READY was lost: " + lines);
            assertTrue(lines.contains("STATE after"), "the line after READY was lost: " + lines);
        } finally {
            child.close();
        }
    }

    /** Prints a line, READY, another line, then waits for its parent. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println("STATE before");
            ChildJvm.announce("value");
            System.out.println("STATE after");
            System.out.flush();
            ChildJvm.awaitParent();
        }
    }
}
