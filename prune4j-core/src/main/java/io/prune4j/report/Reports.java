package io.prune4j.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.prune4j.io.AtomicFiles;
import java.nio.file.Path;
import java.util.Objects;

/** Writes report objects as indented JSON, atomically. */
public final class Reports {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Reports() {}

    /**
     * A report as indented JSON, through Jackson (records and maps as objects, nulls as the record
     * classes' annotations say).
     *
     * @param report the report object (not null)
     * @return the JSON text, without a final line break
     * @throws IllegalStateException when Jackson cannot write the object
     */
    public static String toJson(Object report) {
        Objects.requireNonNull(report, "report");
        try {
            return JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("report cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Writes a report to {@code file} as indented JSON and a line break, atomically: the file holds
     * either its old content or the whole report ({@link AtomicFiles}).
     *
     * @param file   the file to write (not null); its folder must exist
     * @param report the report object (not null)
     * @throws io.prune4j.Prune4jException when the file cannot be written
     * @throws IllegalStateException when Jackson cannot write the object
     */
    public static void write(Path file, Object report) {
        Objects.requireNonNull(file, "file");
        AtomicFiles.writeString(file, toJson(report) + "\n");
    }
}
