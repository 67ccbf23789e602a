package org.rfaas.sebs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A protocol-buffers message being written (the wire format only: varints, length-delimited
 * fields, fixed32 floats), enough to write an ONNX {@code ModelProto} without generated classes.
 */
final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Field {@code field} as a varint (int32, int64, enum). */
    Proto varint(int field, long value) {
        tag(field, 0);
        raw(value);
        return this;
    }

    /** Field {@code field} as a 32-bit float. */
    Proto fixed32(int field, float value) {
        tag(field, 5);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    /** Field {@code field} as bytes. */
    Proto bytes(int field, byte[] value) {
        tag(field, 2);
        raw(value.length);
        out.writeBytes(value);
        return this;
    }

    /** Field {@code field} as a UTF-8 string. */
    Proto string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Field {@code field} as an embedded message. */
    Proto message(int field, Proto value) {
        return bytes(field, value.toByteArray());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        raw(((long) field << 3) | wireType);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
