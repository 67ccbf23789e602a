package org.rfaas.sebs;

import static org.rfaas.sebs.OnnxGraph.Attr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Keras layers model (a {@link TfjsModel}) as an ONNX graph of standard operators (Conv,
 * BatchNormalization, Clip, Add, AveragePool, MatMul, Softmax, ...), which ONNX Runtime then runs:
 * the network's arithmetic is the runtime's, only the wiring is written here. The graph works in
 * NCHW; weights are transposed from Keras' channels-last layouts.
 *
 * <p>The graph's input {@value #INPUT} is one RGB image as uint8 {@code [1, height, width, 3]}
 * of any size; the graph does what nsfwjs does before the model: convert to float, divide by
 * 255 and resize (here: resize, then divide) bilinearly (corners aligned) to the model's input size. Its output
 * {@value #OUTPUT} is the model's output, {@code [1, classes]}.
 */
final class KerasOnnx {
    static final String INPUT = "image";
    static final String OUTPUT = "scores";

    private final TfjsModel model;
    private final OnnxGraph g = new OnnxGraph();
    private final Map<String, String> tensorOf = new HashMap<>();

    private KerasOnnx(TfjsModel model) {
        this.model = model;
    }

    /** The ONNX model bytes for {@code model} at input size {@code side}×{@code side}. */
    static byte[] convert(TfjsModel model, int side, int classes) {
        return new KerasOnnx(model).build(side, classes);
    }

    @SuppressWarnings("unchecked")
    private byte[] build(int side, int classes) {
        // nsfwjs divides by 255, then resizes; both are linear, so resizing first gives the same
        // values (to float rounding) while the full-size image stays uint8 except for one float copy.
        g.input(INPUT, OnnxGraph.UINT8, 1, -1, -1, 3);
        String x = g.node("Transpose", List.of(INPUT), "nchw", Attr.ints("perm", 0, 3, 1, 2));
        x = g.node("Cast", List.of(x), "pixels", Attr.i("to", OnnxGraph.FLOAT));
        String sizes = g.constant("resize_sizes", new long[] {4}, new long[] {1, 3, side, side});
        x = g.node("Resize", List.of(x, "", "", sizes), "resized255", Attr.s("mode", "linear"),
                Attr.s("coordinate_transformation_mode", "align_corners"));
        String resized = g.node("Div", List.of(x, g.constant("c255", new long[0], new float[] {255f})), "resized");
        for (Map<String, Object> layer : model.layers()) {
            String name = (String) layer.get("name");
            String type = (String) layer.get("class_name");
            Map<String, Object> c = (Map<String, Object>) layer.get("config");
            List<String> in = inputs(layer);
            String out = switch (type) {
                case "InputLayer" -> resized;
                case "ZeroPadding2D" -> zeroPad(name, in.getFirst(), c);
                case "Conv2D" -> activation(name, conv(name, in.getFirst(), c, false), c);
                case "DepthwiseConv2D" -> activation(name, conv(name, in.getFirst(), c, true), c);
                case "BatchNormalization" -> batchNorm(name, in.getFirst(), c);
                case "ReLU" -> relu(name, in.getFirst(), c);
                case "Activation" -> activation(name, in.getFirst(), c);
                case "Add" -> add(name, in);
                case "AveragePooling2D" -> g.node("AveragePool", in, name, Attr.ints("kernel_shape", pair(c, "pool_size")),
                        Attr.ints("strides", pair(c, "strides")), Attr.s("auto_pad", autoPad(c)));
                case "GlobalAveragePooling2D" -> g.node("Flatten", List.of(g.node("GlobalAveragePool", in, name + "_gap")),
                        name);
                // Keras flattens channels-last: back to NHWC first, so a spatial map keeps its order.
                case "Flatten" -> g.node("Flatten", List.of(g.node("Transpose", in, name + "_nhwc",
                        Attr.ints("perm", 0, 2, 3, 1))), name);
                case "Dense" -> activation(name, dense(name, in.getFirst(), c), c);
                case "Dropout" -> in.getFirst(); // inference: identity
                default -> throw new IllegalArgumentException("Keras layer " + name + " of type " + type + " is not supported");
            };
            tensorOf.put(name, out);
        }
        g.node("Identity", List.of(tensor(model.outputLayer())), OUTPUT);
        g.output(OUTPUT, 1, classes);
        return g.model("keras");
    }

    @SuppressWarnings("unchecked")
    private List<String> inputs(Map<String, Object> layer) {
        List<Object> nodes = (List<Object>) layer.get("inbound_nodes");
        List<String> in = new ArrayList<>();
        if (nodes.size() > 1) {
            throw new IllegalArgumentException("layer " + layer.get("name") + " is shared; not supported");
        }
        if (!nodes.isEmpty()) {
            for (Object edge : (List<Object>) nodes.getFirst()) {
                in.add(tensor((String) ((List<Object>) edge).getFirst()));
            }
        }
        return in;
    }

    private String tensor(String layer) {
        String t = tensorOf.get(layer);
        if (t == null) {
            throw new IllegalArgumentException("layer " + layer + " is used before it is defined");
        }
        return t;
    }

    @SuppressWarnings("unchecked")
    private String zeroPad(String name, String x, Map<String, Object> c) {
        List<Object> p = (List<Object>) c.get("padding");
        long top = num(((List<Object>) p.get(0)).get(0)), bottom = num(((List<Object>) p.get(0)).get(1));
        long left = num(((List<Object>) p.get(1)).get(0)), right = num(((List<Object>) p.get(1)).get(1));
        String pads = g.constant(name + "_pads", new long[] {8}, new long[] {0, 0, top, left, 0, 0, bottom, right});
        return g.node("Pad", List.of(x, pads), name);
    }

    private String conv(String name, String x, Map<String, Object> c, boolean depthwise) {
        long[] k = pair(c, "kernel_size");
        List<String> in = new ArrayList<>(List.of(x));
        long groups = 1;
        if (depthwise) {
            // Keras [kh, kw, in, multiplier] -> ONNX [in * multiplier, 1, kh, kw], one group per input channel.
            TfjsModel.Weight w = model.weight(name + "/depthwise_kernel");
            long[] d = w.shape();
            in.add(g.constant(name + "_W", new long[] {d[2] * d[3], 1, d[0], d[1]}, spatialLast(w, false)));
            groups = d[2];
        } else {
            // Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw].
            TfjsModel.Weight w = model.weight(name + "/kernel");
            long[] d = w.shape();
            in.add(g.constant(name + "_W", new long[] {d[3], d[2], d[0], d[1]}, spatialLast(w, true)));
        }
        if (Boolean.TRUE.equals(c.get("use_bias"))) {
            TfjsModel.Weight b = model.weight(name + "/bias");
            in.add(g.constant(name + "_B", b.shape(), b.values()));
        }
        return g.node("Conv", in, name + (hasActivation(c) ? "_linear" : ""), Attr.ints("kernel_shape", k),
                Attr.ints("strides", pair(c, "strides")), Attr.ints("dilations", pair(c, "dilation_rate")),
                Attr.i("group", groups), Attr.s("auto_pad", autoPad(c)));
    }

    /**
     * A Keras kernel {@code [kh, kw, a, b]} with the spatial axes moved last: {@code [b, a, kh, kw]}
     * when {@code swap} (convolution: out, in), else {@code [a, b, kh, kw]} (depthwise: channel, multiplier).
     */
    private static float[] spatialLast(TfjsModel.Weight w, boolean swap) {
        int kh = (int) w.shape()[0], kw = (int) w.shape()[1], na = (int) w.shape()[2], nb = (int) w.shape()[3];
        float[] src = w.values();
        float[] t = new float[src.length];
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int a = 0; a < na; a++) {
                    for (int b = 0; b < nb; b++) {
                        int outer = swap ? b * na + a : a * nb + b;
                        t[(outer * kh + y) * kw + x] = src[((y * kw + x) * na + a) * nb + b];
                    }
                }
            }
        }
        return t;
    }

    private String batchNorm(String name, String x, Map<String, Object> c) {
        Object axis = c.get("axis");
        if (axis instanceof Double a && a != -1 && a != 3) {
            throw new IllegalArgumentException("batch normalization " + name + " over axis " + a + ", channels expected");
        }
        TfjsModel.Weight mean = model.weight(name + "/moving_mean");
        int n = mean.values().length;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        TfjsModel.Weight gamma = Boolean.FALSE.equals(c.get("scale")) ? new TfjsModel.Weight(mean.shape(), ones)
                : model.weight(name + "/gamma");
        TfjsModel.Weight beta = Boolean.FALSE.equals(c.get("center")) ? new TfjsModel.Weight(mean.shape(), new float[n])
                : model.weight(name + "/beta");
        TfjsModel.Weight var = model.weight(name + "/moving_variance");
        return g.node("BatchNormalization", List.of(x, g.constant(name + "_gamma", gamma.shape(), gamma.values()),
                g.constant(name + "_beta", beta.shape(), beta.values()),
                g.constant(name + "_mean", mean.shape(), mean.values()),
                g.constant(name + "_var", var.shape(), var.values())), name,
                Attr.f("epsilon", (float) num(c.get("epsilon"), 1e-3)));
    }

    private String relu(String name, String x, Map<String, Object> c) {
        if (num(c.get("negative_slope"), 0) != 0 || num(c.get("threshold"), 0) != 0) {
            throw new IllegalArgumentException("ReLU " + name + ": only negative_slope 0 and threshold 0 are supported");
        }
        Object max = c.get("max_value");
        if (max == null) {
            return g.node("Relu", List.of(x), name);
        }
        return g.node("Clip", List.of(x, g.constant(name + "_min", new long[0], new float[] {0f}),
                g.constant(name + "_max", new long[0], new float[] {((Double) max).floatValue()})), name);
    }

    private String add(String name, List<String> in) {
        String sum = in.getFirst();
        for (int i = 1; i < in.size(); i++) {
            sum = g.node("Add", List.of(sum, in.get(i)), i == in.size() - 1 ? name : name + "_" + i);
        }
        return sum;
    }

    private String dense(String name, String x, Map<String, Object> c) {
        TfjsModel.Weight w = model.weight(name + "/kernel"); // [in, units]: MatMul's layout already
        String y = g.node("MatMul", List.of(x, g.constant(name + "_W", w.shape(), w.values())), name + "_mm");
        if (Boolean.TRUE.equals(c.get("use_bias"))) {
            TfjsModel.Weight b = model.weight(name + "/bias");
            y = g.node("Add", List.of(y, g.constant(name + "_B", b.shape(), b.values())), name + "_biased");
        }
        return y;
    }

    private static boolean hasActivation(Map<String, Object> c) {
        Object a = c.get("activation");
        return a != null && !"linear".equals(a);
    }

    private String activation(String name, String x, Map<String, Object> c) {
        Object a = c.get("activation");
        if (a == null || "linear".equals(a)) {
            return x;
        }
        return switch ((String) a) {
            case "relu" -> g.node("Relu", List.of(x), name);
            case "softmax" -> g.node("Softmax", List.of(x), name, Attr.i("axis", -1));
            case "sigmoid" -> g.node("Sigmoid", List.of(x), name);
            case "tanh" -> g.node("Tanh", List.of(x), name);
            default -> throw new IllegalArgumentException("activation " + a + " of layer " + name + " is not supported");
        };
    }

    private static String autoPad(Map<String, Object> c) {
        Object p = c.get("padding");
        if ("same".equals(p)) {
            return "SAME_UPPER"; // TensorFlow's "same": the odd padding pixel goes at the end
        }
        if ("valid".equals(p) || p == null) {
            return "VALID";
        }
        throw new IllegalArgumentException("padding " + p + " is not supported");
    }

    @SuppressWarnings("unchecked")
    private static long[] pair(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (v instanceof List<?> l) {
            return new long[] {num(l.get(0)), num(l.get(1))};
        }
        return new long[] {num(v), num(v)};
    }

    private static long num(Object v) {
        return ((Double) v).longValue();
    }

    private static double num(Object v, double orElse) {
        return v == null ? orElse : (Double) v;
    }
}
