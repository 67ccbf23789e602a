package org.rfaas.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link SegmentKinds#load} puts every segment class in a fresh JVM's class hierarchy (seen in the
 * JVM's class-loading log), and nothing of the kind is loaded without it.
 */
class SegmentKindsTest {
    private static final List<String> KINDS = List.of("jdk.internal.foreign.HeapMemorySegmentImpl$OfByte",
            "jdk.internal.foreign.HeapMemorySegmentImpl$OfChar", "jdk.internal.foreign.HeapMemorySegmentImpl$OfShort",
            "jdk.internal.foreign.HeapMemorySegmentImpl$OfInt", "jdk.internal.foreign.HeapMemorySegmentImpl$OfLong",
            "jdk.internal.foreign.HeapMemorySegmentImpl$OfFloat", "jdk.internal.foreign.HeapMemorySegmentImpl$OfDouble",
            "jdk.internal.foreign.MappedMemorySegmentImpl");

    /** The child JVM's main: loads the kinds when asked to. */
    public static final class Child {
        public static void main(String[] args) {
            if (args.length > 0) {
                SegmentKinds.load();
            }
            System.out.println("child done");
        }
    }

    @Test
    void everyKindIsLoadedInAFreshJvm() throws Exception {
        String log = runChild(true);
        for (String kind : KINDS) {
            assertTrue(log.contains(kind + " "), kind + " was not loaded:\n" + log.lines().filter(l -> l.contains("foreign"))
                    .toList());
        }
        assertTrue(log.contains("child done"), log);
    }

    @Test
    void withoutItNoHeapOrMappedSegmentIsLoaded() throws Exception {
        String log = runChild(false);
        assertTrue(log.contains("child done"), log);
        assertEquals(List.of(), KINDS.stream().filter(k -> log.contains(k + " ")).toList(),
                "a plain JVM already loads them: the test would not see load() work");
    }

    private static String runChild(boolean load) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xshare:off", "-Xlog:class+load=info",
                "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        if (load) {
            command.add("load");
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
