package dev.tally.ingest.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.contracts.InvalidEvent.FieldError;

import java.util.List;

/**
 * What became of one event of a request: {@code accepted} (in the log), {@code duplicate} (in the log already),
 * {@code rejected} (invalid, with {@code error} and every one in {@code errors}), or {@code unavailable} (not
 * written: Kafka did not acknowledge it; send it again).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventResult(
        @JsonProperty("index") int index,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("status") String status,
        @JsonProperty("error") FieldError error,
        @JsonProperty("errors") List<FieldError> errors) {

    public static final String ACCEPTED = "accepted";
    public static final String DUPLICATE = "duplicate";
    public static final String REJECTED = "rejected";
    public static final String UNAVAILABLE = "unavailable";

    static EventResult of(int index, String eventId, String status) {
        return new EventResult(index, eventId, status, null, null);
    }

    static EventResult rejected(int index, String eventId, List<FieldError> errors) {
        return new EventResult(index, eventId, REJECTED, errors.get(0), errors);
    }
}
