package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;

/**
 * A bad row, as published on {@link Topics#CLICKS_INVALID}, version 1: the input exactly as it arrived and why it
 * was refused, so that nothing that reached ingest disappears silently.
 *
 * @param raw        the input as received (one event's JSON text, or the whole body when it could not be split),
 *                   decoded as UTF-8 (invalid bytes become U+FFFD) and cut at {@link #MAX_RAW_CHARS} characters
 * @param rawBytes   the size of the input in bytes, before any cut
 * @param index      the position of the event in its batch, or null for a single event or a whole body
 * @param errors     every reason the input was refused
 * @param receivedAt when ingest received it
 * @param requestId  the id of the HTTP request that carried it, also in ingest's answer and logs
 */
public record InvalidEvent(
        @JsonProperty("raw") String raw,
        @JsonProperty("raw_bytes") int rawBytes,
        @JsonProperty("index") Integer index,
        @JsonProperty("errors") List<FieldError> errors,
        @JsonProperty("received_at") Instant receivedAt,
        @JsonProperty("request_id") String requestId) {

    /** The longest raw input kept, in characters: a bad row must fit in one Kafka record. */
    public static final int MAX_RAW_CHARS = 65_536;

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;

    /** One reason: the field at fault (a JSON pointer-like path, or empty for the whole input) and what is wrong. */
    public record FieldError(@JsonProperty("field") String field, @JsonProperty("reason") String reason) {
    }
}
