package org.rfaas.sebs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Keras layers model in TF.js format as nsfwjs ships it: the topology ({@code model.min.js})
 * and the weights, uint8-quantized in the shards and dequantized here exactly as TF.js does
 * ({@code q * scale + min}, stored as float32).
 *
 * @param layers the Keras model's layers in order ({@code model_config.config.layers})
 * @param outputLayer the name of the layer whose output is the model's
 * @param weights every weight tensor by name ({@code layer/kernel}, {@code layer/gamma}, ...)
 */
record TfjsModel(List<Map<String, Object>> layers, String outputLayer, Map<String, Weight> weights) {

    /** A dequantized weight tensor. */
    record Weight(long[] shape, float[] values) {
    }

    /**
     * Loads the model whose files are class-path resources under {@code directory} (e.g.
     * {@code /org/rfaas/sebs/nsfwjs/mobilenet_v2/}), found with {@code loader}'s class.
     */
    @SuppressWarnings("unchecked")
    static TfjsModel load(Class<?> loader, String directory) {
        Map<String, Object> module = (Map<String, Object>) JsLiteral.moduleExports(text(loader, directory + "model.min.js"));
        Map<String, Object> topology = (Map<String, Object>) module.get("modelTopology");
        Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) topology.get("model_config")).get("config");
        List<Map<String, Object>> layers = (List<Map<String, Object>>) config.get("layers");
        List<Object> outputs = (List<Object>) config.get("output_layers");
        if (outputs.size() != 1) {
            throw new IllegalArgumentException("the model has " + outputs.size() + " outputs, one expected");
        }
        String outputLayer = (String) ((List<Object>) outputs.getFirst()).getFirst();
        Map<String, Weight> weights = new LinkedHashMap<>();
        for (Object group : (List<Object>) module.get("weightsManifest")) {
            Map<String, Object> g = (Map<String, Object>) group;
            java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
            for (Object path : (List<Object>) g.get("paths")) {
                data.writeBytes(Base64.getDecoder().decode((String) JsLiteral.moduleExports(text(loader,
                        directory + path + ".min.js"))));
            }
            byte[] bytes = data.toByteArray();
            int offset = 0;
            for (Object w : (List<Object>) g.get("weights")) {
                Map<String, Object> spec = (Map<String, Object>) w;
                List<Object> dims = (List<Object>) spec.get("shape");
                long[] shape = new long[dims.size()];
                int n = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = ((Double) dims.get(i)).longValue();
                    n = Math.multiplyExact(n, (int) shape[i]);
                }
                Map<String, Object> q = (Map<String, Object>) spec.get("quantization");
                if (q == null || !"uint8".equals(q.get("dtype")) || !"float32".equals(spec.get("dtype"))) {
                    throw new IllegalArgumentException("weight " + spec.get("name") + ": only uint8-quantized float32 is read");
                }
                if (offset + n > bytes.length) {
                    throw new IllegalArgumentException("the shards end inside weight " + spec.get("name"));
                }
                double min = (Double) q.get("min");
                double scale = (Double) q.get("scale");
                float[] values = new float[n];
                for (int i = 0; i < n; i++) {
                    values[i] = (float) ((bytes[offset + i] & 0xff) * scale + min);
                }
                offset += n;
                weights.put((String) spec.get("name"), new Weight(shape, values));
            }
            if (offset != bytes.length) {
                throw new IllegalArgumentException((bytes.length - offset) + " shard bytes left after the last weight");
            }
        }
        return new TfjsModel(layers, outputLayer, weights);
    }

    /** The weight {@code name}. */
    Weight weight(String name) {
        Weight w = weights.get(name);
        if (w == null) {
            throw new IllegalArgumentException("the model has no weight " + name);
        }
        return w;
    }

    private static String text(Class<?> loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("model file " + resource + " not found");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + resource, e);
        }
    }
}
