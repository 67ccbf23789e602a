package org.rfaas.executor;

import java.lang.foreign.MemorySegment;
import org.rfaas.function.FaasFunction;

/**
 * The function of an {@link ExecutorTraining} run: {@code echo}. Its class file is copied into the
 * training's function package, so the training loads it from a JAR through the package class
 * loader, as a real lease does (the executor's own copy of the class is never used).
 */
public final class TrainingEcho implements FaasFunction {
    /** Public, no arguments: a service provider. */
    public TrainingEcho() {
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) {
        MemorySegment.copy(input, 0, output, 0, input.byteSize());
        return (int) input.byteSize();
    }
}
