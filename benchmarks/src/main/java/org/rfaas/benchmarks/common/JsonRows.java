package org.rfaas.benchmarks.common;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes benchmark rows as a JSON array, one object per row (Jackson). A row is a record whose
 * components are the JSON fields, in declaration order; annotate it with
 * {@code @JsonProperty} to choose the JSON names.
 */
public final class JsonRows {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonRows() {
    }

    /** The rows as a JSON array text. */
    public static String toJson(List<?> rows) {
        try {
            return MAPPER.writeValueAsString(rows);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize benchmark rows: " + e.getMessage(), e);
        }
    }

    /** Writes the rows to {@code file} (parent directories are created). */
    public static void write(Path file, List<?> rows) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, toJson(rows) + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
