package org.rfaas.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.rfaas.function.FunctionNames;
import org.rfaas.transport.ProtocolError;
import org.rfaas.transport.ProtocolException;
import org.rfaas.transport.Wire;

/**
 * Reads and writes the variable part of control-plane messages (strings: a u16 byte count then
 * UTF-8 bytes) with bounds checks that turn a short or lying message into a
 * {@link ProtocolException}. Control plane only: it allocates strings.
 */
final class WireCursor {
    private final MemorySegment buffer;
    private final long end;
    private long position;

    WireCursor(MemorySegment buffer, long position, long end) {
        this.buffer = buffer;
        this.position = position;
        this.end = end;
    }

    long position() {
        return position;
    }

    void putString(String value, int maxBytes, String field) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException(field + " is " + bytes.length + " bytes, at most " + maxBytes + " allowed");
        }
        require(2L + bytes.length, field);
        buffer.set(Wire.SHORT, position, (short) bytes.length);
        MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, position + 2, bytes.length);
        position += 2 + bytes.length;
    }

    String getString(int maxBytes, String field) {
        if (end - position < 2) {
            throw new ProtocolException(ProtocolError.TRUNCATED, "message ends before the length of " + field);
        }
        int length = buffer.get(Wire.SHORT, position) & 0xffff;
        if (length > maxBytes) {
            throw new ProtocolException(ProtocolError.OVERSIZED, field + " is " + length + " bytes, at most " + maxBytes
                    + " allowed");
        }
        if (end - position - 2 < length) {
            throw new ProtocolException(ProtocolError.TRUNCATED, "message ends inside " + field);
        }
        byte[] bytes = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, position + 2, bytes, 0, length);
        position += 2 + length;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Requires that the message was consumed exactly. */
    void expectEnd(MessageType type) {
        if (position != end) {
            throw new ProtocolException(ProtocolError.BAD_LENGTH, type + " has " + (end - position)
                    + " unexpected trailing bytes");
        }
    }

    private void require(long bytes, String field) {
        if (end - position < bytes) {
            throw new IllegalArgumentException("buffer too small for " + field);
        }
    }

    /** Writes a list of function names, each as u16 length + ASCII. */
    void putFunctionNames(List<String> names) {
        for (String name : names) {
            putString(name, FunctionNames.MAX_LENGTH, "function name");
        }
    }

    /** Reads {@code count} function names written by {@link #putFunctionNames}. */
    List<String> getFunctionNames(int count) {
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(getString(FunctionNames.MAX_LENGTH, "function name"));
        }
        return names;
    }

    /** The u16 function-name count at {@code countOffset}, refused above {@link Limits#MAX_FUNCTIONS}. */
    static int functionCount(MemorySegment buffer, long countOffset) {
        int count = buffer.get(Wire.SHORT, countOffset) & 0xffff;
        if (count > Limits.MAX_FUNCTIONS) {
            throw badField(count + " function names, at most " + Limits.MAX_FUNCTIONS);
        }
        return count;
    }

    static ProtocolException badField(String message) {
        return new ProtocolException(ProtocolError.BAD_FIELD, message);
    }
}
