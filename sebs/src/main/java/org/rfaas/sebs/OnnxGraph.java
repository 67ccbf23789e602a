package org.rfaas.sebs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * An ONNX graph being built (nodes of standard ONNX operators, float and int64 initializers, one
 * float input and output) and written as a {@code ModelProto} (opset 13) that ONNX Runtime loads.
 * Field numbers are those of {@code onnx.proto}.
 */
final class OnnxGraph {
    static final int OPSET = 13;
    /** ONNX element types. */
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT64 = 7;

    private final List<Proto> nodes = new ArrayList<>();
    private final List<Proto> initializers = new ArrayList<>();
    private final List<Proto> inputs = new ArrayList<>();
    private final List<Proto> outputs = new ArrayList<>();
    private int nodeCount;

    /** A node attribute. */
    record Attr(Proto proto) {
        static Attr ints(String name, long... values) {
            Proto p = new Proto().string(1, name).varint(20, 7);
            for (long v : values) {
                p.varint(8, v);
            }
            return new Attr(p);
        }

        static Attr i(String name, long value) {
            return new Attr(new Proto().string(1, name).varint(3, value).varint(20, 2));
        }

        static Attr f(String name, float value) {
            return new Attr(new Proto().string(1, name).fixed32(2, value).varint(20, 1));
        }

        static Attr s(String name, String value) {
            return new Attr(new Proto().string(1, name).string(4, value).varint(20, 3));
        }
    }

    /** Adds a float constant; returns its name. */
    String constant(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        initializers.add(tensor(name, dims, FLOAT, raw.array()));
        return name;
    }

    /** Adds an int64 constant; returns its name. */
    String constant(String name, long[] dims, long[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        initializers.add(tensor(name, dims, INT64, raw.array()));
        return name;
    }

    private static Proto tensor(String name, long[] dims, int type, byte[] raw) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        return t.varint(2, type).string(8, name).bytes(9, raw);
    }

    /** Adds a node computing {@code output} with {@code op} (an empty input name skips an optional input). */
    String node(String op, List<String> in, String output, Attr... attrs) {
        Proto n = new Proto();
        for (String i : in) {
            n.string(1, i);
        }
        n.string(2, output).string(3, op + "_" + nodeCount++).string(4, op);
        for (Attr a : attrs) {
            n.message(5, a.proto());
        }
        nodes.add(n);
        return output;
    }

    /** Declares a graph input of element type {@code type}; a negative dimension is left symbolic. */
    void input(String name, int type, long... dims) {
        inputs.add(valueInfo(name, type, dims));
    }

    /** Declares a float graph output. */
    void output(String name, long... dims) {
        outputs.add(valueInfo(name, FLOAT, dims));
    }

    private static Proto valueInfo(String name, int type, long[] dims) {
        Proto shape = new Proto();
        for (int i = 0; i < dims.length; i++) {
            shape.message(1, dims[i] < 0 ? new Proto().string(2, "d" + i) : new Proto().varint(1, dims[i]));
        }
        Proto tensorType = new Proto().varint(1, type).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** The serialized {@code ModelProto}. */
    byte[] model(String graphName) {
        Proto g = new Proto();
        nodes.forEach(n -> g.message(1, n));
        g.string(2, graphName);
        initializers.forEach(t -> g.message(5, t));
        inputs.forEach(v -> g.message(11, v));
        outputs.forEach(v -> g.message(12, v));
        return new Proto().varint(1, 8).string(2, "rfaas-sebs").message(7, g)
                .message(8, new Proto().string(1, "").varint(2, OPSET)).toByteArray();
    }
}
