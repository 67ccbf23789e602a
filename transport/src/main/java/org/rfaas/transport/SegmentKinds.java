package org.rfaas.transport;

import java.lang.foreign.MemorySegment;

/**
 * Loads every kind of memory segment the JDK makes (native, mapped, and one per heap array type)
 * before the JIT compiles anything that reads or writes segments. C2 compiles segment accesses
 * against the segment classes loaded at that moment; the first segment of a new kind loaded later
 * (a heap segment made by a function, or by another transport's handshake) invalidates every such
 * compiled method at once. A spare that met its first heap segment in its last rehearsal had 100
 * compiled methods of its serving path deoptimised before its lease, against under 10 otherwise.
 */
public final class SegmentKinds {
    /** The JDK's mapped-segment class: made only by mapping a file, so loaded by name. */
    private static final String MAPPED = "jdk.internal.foreign.MappedMemorySegmentImpl";

    private SegmentKinds() {
    }

    /** Loads them (idempotent, a few microseconds after the first time); call first thing in a process. */
    public static void load() {
        MemorySegment.ofArray(new byte[0]);
        MemorySegment.ofArray(new char[0]);
        MemorySegment.ofArray(new short[0]);
        MemorySegment.ofArray(new int[0]);
        MemorySegment.ofArray(new long[0]);
        MemorySegment.ofArray(new float[0]);
        MemorySegment.ofArray(new double[0]);
        try {
            // Loading (not initialising) puts it in the class hierarchy, which is what the JIT checks.
            Class.forName(MAPPED, false, MemorySegment.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            // Another JDK's implementation: nothing to load by this name.
        }
    }
}
