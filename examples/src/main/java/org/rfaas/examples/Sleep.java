package org.rfaas.examples;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.rfaas.function.FaasFunction;

/**
 * {@code sleep}: sleeps for the number of milliseconds given as ASCII decimal input (e.g.
 * {@code "50"}) and returns that text. For compute-time and pipelining tests.
 */
public final class Sleep implements FaasFunction {
    @Override
    public String name() {
        return "sleep";
    }

    @Override
    public int invoke(MemorySegment input, MemorySegment output) throws InterruptedException {
        String text = new String(input.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
        long millis = Long.parseLong(text);
        if (millis < 0 || millis > 60_000) {
            throw new IllegalArgumentException("sleep takes 0..60000 ms, got " + millis);
        }
        Thread.sleep(millis);
        MemorySegment.copy(input, 0, output, 0, input.byteSize());
        return (int) input.byteSize();
    }
}
