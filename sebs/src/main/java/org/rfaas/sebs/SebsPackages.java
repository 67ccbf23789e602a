package org.rfaas.sebs;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.zip.Deflater;
import org.rfaas.function.FaasFunction;

/**
 * Builds the SeBS function packages: one JAR holding the function's classes and every class of
 * its libraries (the executor loads a package with a class loader of its own, so the libraries
 * travel inside it), with the libraries' service lists merged.
 */
public final class SebsPackages {
    private SebsPackages() {
    }

    /** The thumbnailer's own classes. */
    static final List<Class<?>> THUMBNAILER = List.of(Thumbnailer.class, Thumbnails.class, ThumbnailRequest.class,
            ThumbnailRequest.Format.class, SegmentInputStream.class);

    /**
     * Writes the thumbnailer package (the function, ImageIO's TwelveMonkeys JPEG plugin and its
     * TwelveMonkeys dependencies, taken from this JVM's class path) to {@code jar}.
     */
    public static Path writeThumbnailerJar(Path jar) {
        return write(jar, THUMBNAILER, Map.of(), List.of(Thumbnailer.class), libraryJars("com/twelvemonkeys/"));
    }

    /** The recognition function's own classes. */
    static final List<Class<?>> RECOGNIZER = List.of(Recognizer.class, Classifier.class, Prediction.class,
            KerasOnnx.class, OnnxGraph.class, OnnxGraph.Attr.class, Proto.class, TfjsModel.class, TfjsModel.Weight.class,
            JsLiteral.class, Thumbnails.class, SegmentInputStream.class);

    /** The model's licence and provenance, inside the recognition package. */
    static final List<String> MODEL_NOTICES = List.of("/org/rfaas/sebs/nsfwjs/LICENSE", "/org/rfaas/sebs/nsfwjs/SOURCE.md");

    /**
     * Writes the image-recognition package (~14 MB: the function, nsfwjs' MobileNetV2 already
     * converted to ONNX with its licence and provenance, ONNX Runtime's classes and its linux-x64
     * native libraries, the TwelveMonkeys JPEG plugin) to {@code jar}. The conversion runs here,
     * once per package, instead of in every executor's cold start; it is deterministic, so the
     * executor runs the same bytes a local {@link Classifier#load()} builds.
     */
    public static Path writeRecognitionJar(Path jar) {
        List<Path> libraries = new ArrayList<>(libraryJars("com/twelvemonkeys/"));
        libraries.addAll(libraryJars("ai/onnxruntime/"));
        Map<String, byte[]> resources = new LinkedHashMap<>();
        for (String notice : MODEL_NOTICES) {
            resources.put(notice.substring(1), resource(notice));
        }
        resources.put(Classifier.ONNX_RESOURCE.substring(1), Classifier.convert());
        return write(jar, RECOGNIZER, resources, List.of(Recognizer.class), libraries);
    }

    private static byte[] resource(String name) {
        try (InputStream in = SebsPackages.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " not found on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    /** ONNX Runtime's native libraries for other platforms stay out of the package. */
    private static boolean foreignNative(String entry) {
        return entry.startsWith("ai/onnxruntime/native/") && !entry.startsWith("ai/onnxruntime/native/linux-x64/");
    }

    /**
     * The class-path JARs holding classes under {@code packageDirectory} (e.g.
     * {@code com/twelvemonkeys/}): found by content, since a JAR's file name need not name its
     * vendor (Maven's repository does, a flat {@code lib/} directory does not).
     */
    static List<Path> libraryJars(String packageDirectory) {
        List<Path> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) {
                continue;
            }
            try (JarFile jar = new JarFile(entry)) {
                if (jar.stream().anyMatch(e -> e.getName().startsWith(packageDirectory) && e.getName().endsWith(".class"))) {
                    jars.add(Path.of(entry));
                }
            } catch (IOException e) {
                // Not a readable JAR: it cannot hold the library either.
            }
        }
        if (jars.isEmpty()) {
            throw new IllegalStateException("no JAR with classes under " + packageDirectory + " on the class path");
        }
        return jars;
    }

    private static Path write(Path jar, List<Class<?>> classes, Map<String, byte[]> resources,
            List<Class<? extends FaasFunction>> functions, List<Path> libraries) {
        Map<String, StringBuilder> services = new LinkedHashMap<>();
        Set<String> written = new HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.setLevel(Deflater.BEST_SPEED); // ~3x faster than the default on a 21 MB native library, ~10% larger
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IOException("class file " + entry + " not found on the class path");
                    }
                    out.putNextEntry(new JarEntry(entry));
                    in.transferTo(out);
                    out.closeEntry();
                    written.add(entry);
                }
            }
            for (Map.Entry<String, byte[]> resource : resources.entrySet()) {
                out.putNextEntry(new JarEntry(resource.getKey()));
                out.write(resource.getValue());
                out.closeEntry();
                written.add(resource.getKey());
            }
            StringBuilder fs = services.computeIfAbsent("META-INF/services/" + FaasFunction.class.getName(),
                    k -> new StringBuilder());
            functions.forEach(f -> fs.append(f.getName()).append('\n'));
            for (Path library : libraries) {
                try (JarFile in = new JarFile(library.toFile())) {
                    for (JarEntry e : java.util.Collections.list(in.entries())) {
                        String name = e.getName();
                        if (e.isDirectory() || name.equals("META-INF/MANIFEST.MF") || name.endsWith(".SF")
                                || name.endsWith(".RSA") || name.endsWith(".DSA") || foreignNative(name)) {
                            continue;
                        }
                        try (InputStream data = in.getInputStream(e)) {
                            if (name.startsWith("META-INF/services/")) {
                                services.computeIfAbsent(name, k -> new StringBuilder())
                                        .append(new String(data.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
                            } else if (written.add(name)) {
                                out.putNextEntry(new JarEntry(name));
                                data.transferTo(out);
                                out.closeEntry();
                            }
                        }
                    }
                }
            }
            for (Map.Entry<String, StringBuilder> s : services.entrySet()) {
                out.putNextEntry(new JarEntry(s.getKey()));
                out.write(s.getValue().toString().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write function package " + jar + ": " + e.getMessage(), e);
        }
        return jar;
    }
}
