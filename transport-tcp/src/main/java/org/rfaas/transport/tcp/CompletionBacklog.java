package org.rfaas.transport.tcp;

import org.rfaas.transport.Completion;

/**
 * Completions that a thread other than the owner's poll read from the socket (a fetch-and-add
 * waiting for its answer, a write stalled on a full socket, the liveness timer), kept in arrival
 * order in preallocated arrays until the next {@code poll} or {@code await} takes them first.
 * Touched only by the holder of the connection's receive guard.
 */
final class CompletionBacklog {
    private final int[] slot;
    private final int[] length;
    private final int[] immediate;
    private final int mask;
    private long head;
    private long tail;

    /** Room for at least {@code capacity} completions (rounded up to a power of two). */
    CompletionBacklog(int capacity) {
        int size = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        slot = new int[size];
        length = new int[size];
        immediate = new int[size];
        mask = size - 1;
    }

    boolean isEmpty() {
        return head == tail;
    }

    boolean isFull() {
        return tail - head > mask;
    }

    /** Appends one completion; the caller checked {@link #isFull}. */
    void add(int s, int len, int imm) {
        int i = (int) tail & mask;
        slot[i] = s;
        length[i] = len;
        immediate[i] = imm;
        tail++;
    }

    /** Moves the oldest completion into {@code into}; the caller checked {@link #isEmpty}. */
    void take(Completion into) {
        int i = (int) head & mask;
        into.set(slot[i], length[i], immediate[i]);
        head++;
    }
}
