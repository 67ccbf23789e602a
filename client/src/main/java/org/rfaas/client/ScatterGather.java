package org.rfaas.client;

import java.lang.foreign.MemorySegment;

/**
 * Scatter / gather of one function over leased cores, allocation-free: part {@code i} of the
 * input goes to core {@code i}, every part is sent before the caller waits for any reply, and the
 * caller's own thread takes the replies in. A scatter over k cores therefore costs one call plus k
 * sends and k reply polls, not k round trips. Obtain one with
 * {@link RemoteExecutor#scatterGather(String)} or {@link ExecutorGroup#scatterGather(String)}
 * and reuse it; one thread at a time.
 *
 * <ul>
 *   <li>{@link #gather}: outputs land in a caller-supplied buffer, part {@code i} at
 *       {@code i * outputStride}, its length in {@code lengths[i]}.
 *   <li>{@link #reduce}: each part's output is handed to a {@link PartHandler} (fold it into a
 *       running result) while it is still in registered memory: no copy at all.
 * </ul>
 *
 * <p>A failing part does not stop the others: every part is waited for (so no slot is left in
 * flight), then the first failure is thrown.
 */
public final class ScatterGather {

    /** Receives each part's output. */
    @FunctionalInterface
    public interface PartHandler {
        /** @param output part {@code part}'s output, a view valid only during this callback */
        void onPart(int part, MemorySegment output);
    }

    private final WorkerChannel[] channels;
    private final int[] functionIndices;
    private final int outputCapacity;
    private final InvocationSlot[] slots;
    private final CopyInto copy = new CopyInto();

    ScatterGather(WorkerChannel[] channels, int[] functionIndices, int outputCapacity) {
        this.channels = channels;
        this.functionIndices = functionIndices;
        this.outputCapacity = outputCapacity;
        this.slots = new InvocationSlot[channels.length];
    }

    /** Leased cores: the most parts one scatter may have. */
    public int cores() {
        return channels.length;
    }

    /**
     * Sends part {@code i} ({@code inputLength} bytes at {@code i * inputStride} of {@code inputs})
     * to core {@code i} for {@code i < parts}, and copies each output to
     * {@code i * outputStride} of {@code outputs}, its length into {@code lengths[i]}. A part's
     * output may be at most {@code outputStride} bytes (and the output capacity).
     *
     * @throws RfaasException the first part's failure, after all parts finished
     */
    public void gather(MemorySegment inputs, long inputStride, int inputLength, int parts, MemorySegment outputs,
            long outputStride, int[] lengths, WaitMode mode) {
        if (lengths.length < parts || outputs.byteSize() < outputStride * parts) {
            throw new IllegalArgumentException("room for " + lengths.length + " lengths and "
                    + outputs.byteSize() / Math.max(1, outputStride) + " outputs, need " + parts);
        }
        copy.outputs = outputs;
        copy.stride = outputStride;
        copy.lengths = lengths;
        try {
            run(inputs, inputStride, inputLength, parts, (int) Math.min(outputStride, outputCapacity), copy, mode);
        } finally {
            copy.outputs = null;
            copy.lengths = null;
        }
    }

    /**
     * Sends the parts as {@link #gather} does and hands each output to {@code handler} as it
     * arrives (in any order of parts), without copying it.
     *
     * @throws RfaasException the first part's failure, after all parts finished
     */
    public void reduce(MemorySegment inputs, long inputStride, int inputLength, int parts, PartHandler handler,
            WaitMode mode) {
        run(inputs, inputStride, inputLength, parts, outputCapacity, handler, mode);
    }

    private void run(MemorySegment inputs, long inputStride, int inputLength, int parts, int capacity,
            PartHandler handler, WaitMode mode) {
        if (parts < 1 || parts > channels.length) {
            throw new IllegalArgumentException(parts + " parts for " + channels.length + " cores");
        }
        if (inputs.byteSize() < inputStride * (parts - 1) + inputLength) {
            throw new IllegalArgumentException("inputs hold " + inputs.byteSize() + " bytes; " + parts
                    + " parts of " + inputLength + " bytes every " + inputStride + " need more");
        }
        RfaasException first = null;
        try {
            for (int i = 0; i < parts; i++) {
                InvocationSlot s = acquire(channels[i]);
                slots[i] = s;
                s.sendCopy(functionIndices[i], inputs, i * inputStride, inputLength, capacity, null);
            }
            int remaining = parts;
            while (remaining > 0) {
                int done = 0;
                for (int i = 0; i < parts; i++) {
                    InvocationSlot s = slots[i];
                    if (s == null) {
                        continue;
                    }
                    try {
                        if (mode == WaitMode.HOT && !s.poll()) {
                            continue;
                        }
                        if (mode == WaitMode.HOT) {
                            s.complete();
                        } else {
                            s.await(WaitMode.WARM);
                        }
                        handler.onPart(i, s.output());
                    } catch (RfaasException e) {
                        first = first == null ? e : first;
                    }
                    s.close();
                    slots[i] = null;
                    remaining--;
                    done++;
                }
                if (done == 0) {
                    Thread.onSpinWait();
                }
            }
        } finally {
            for (int i = 0; i < parts; i++) {
                InvocationSlot s = slots[i];
                if (s != null) {
                    abandon(s);
                    slots[i] = null;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Takes a free slot of {@code ch}, helping its replies along while all are in flight. */
    private static InvocationSlot acquire(WorkerChannel ch) {
        while (true) {
            ch.throwIfFailed();
            InvocationSlot s = ch.tryAcquire();
            if (s != null) {
                return s;
            }
            if (!ch.progress(0)) {
                Thread.onSpinWait();
            }
        }
    }

    /** A part left behind by an exception: a pending call is abandoned, anything else given back. */
    private static void abandon(InvocationSlot s) {
        if (s.state.get() == InvocationSlot.PENDING && s.channel.abandon(s, null)) {
            return;
        }
        if (s.state.get() == InvocationSlot.DONE) {
            s.receivePending = true;
            s.state.setRelease(InvocationSlot.ACQUIRED);
        } else if (s.state.get() == InvocationSlot.PENDING) {
            s.state.setRelease(InvocationSlot.ACQUIRED);
        }
        s.close();
    }

    /** The {@link #gather} handler, a field so that a gather allocates nothing. */
    private static final class CopyInto implements PartHandler {
        MemorySegment outputs;
        long stride;
        int[] lengths;

        @Override
        public void onPart(int part, MemorySegment output) {
            MemorySegment.copy(output, 0, outputs, part * stride, output.byteSize());
            lengths[part] = (int) output.byteSize();
        }
    }
}
