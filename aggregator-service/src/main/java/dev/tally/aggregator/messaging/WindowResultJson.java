package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.contracts.json.IsoInstants;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;

/**
 * A {@link WindowResult} as JSON, the same bytes as the service's {@code ObjectMapper} writes (field order, nulls,
 * instants through {@link IsoInstants}), written field by field. Stage 2 writes one per page and window it updates,
 * about one for every two clicks of a backlog; through the mapper's bean serializer, with its property walk and a
 * map serializer for the source offsets, that was 6% of the aggregator's CPU samples in the benchmark.
 * {@code WindowResultJsonTest} holds it to the mapper's output.
 */
final class WindowResultJson {
    private final JsonFactory factory;
    /** The buffer a result is written in, then copied out (stage 2 writes one result after the other). */
    private final ByteArrayBuilder bytes = new ByteArrayBuilder(512);

    WindowResultJson(JsonFactory factory) {
        this.factory = factory;
    }

    byte[] write(WindowResult result) {
        bytes.reset();
        try (JsonGenerator out = factory.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringField("page_id", result.pageId());
            out.writeFieldName("window");
            write(result.window(), out);
            out.writeNumberField("views", result.views());
            out.writeNumberField("unique_users", result.uniqueUsers());
            out.writeNumberField("version", result.version());
            out.writeBooleanField("final", result.finalResult());
            instant("watermark", result.watermark(), out);
            out.writeFieldName("source_offsets");
            if (result.sourceOffsets() == null) {
                out.writeNull();
            } else {
                out.writeStartObject();
                for (Map.Entry<Integer, Long> offset : result.sourceOffsets().entrySet()) {
                    out.writeFieldName(String.valueOf(offset.getKey()));
                    if (offset.getValue() == null) {
                        out.writeNull();
                    } else {
                        out.writeNumber(offset.getValue());
                    }
                }
                out.writeEndObject();
            }
            instant("emitted_at", result.emittedAt(), out);
            out.writeStringField("unique_method", result.uniqueMethod());
            out.writeFieldName("unique_error");
            if (result.uniqueError() == null) {
                out.writeNull();
            } else {
                out.writeNumber(result.uniqueError());
            }
            out.writeFieldName("value_sum");
            out.writeNumber(result.valueSum()); // null as JSON null
            if (result.groupBy() != null) {
                out.writeStringField("group_by", result.groupBy());
            }
            if (result.group() != null) {
                out.writeStringField("group", result.group());
            }
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A {@link WindowRef}: its fields that are not null. */
    private static void write(WindowRef window, JsonGenerator out) throws IOException {
        if (window == null) {
            out.writeNull();
            return;
        }
        out.writeStartObject();
        if (window.kind() != null) {
            out.writeStringField("kind", window.kind());
        }
        if (window.size() != null) {
            out.writeStringField("size", window.size());
        }
        if (window.advance() != null) {
            out.writeStringField("advance", window.advance());
        }
        if (window.start() != null) {
            out.writeStringField("start", IsoInstants.format(window.start()));
        }
        if (window.end() != null) {
            out.writeStringField("end", IsoInstants.format(window.end()));
        }
        out.writeEndObject();
    }

    private static void instant(String field, Instant value, JsonGenerator out) throws IOException {
        out.writeFieldName(field);
        if (value == null) {
            out.writeNull();
        } else {
            out.writeString(IsoInstants.format(value));
        }
    }
}
