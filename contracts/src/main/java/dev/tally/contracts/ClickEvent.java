package dev.tally.contracts;


import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/**
 * One click as it is stored on {@link Topics#CLICKS}, version 1. Field names travel in snake_case
 * ({@code event_id}, {@code event_time}...).
 *
 * @param eventId    client-chosen, unique: the idempotency key of the whole pipeline
 * @param userId     who clicked; the Kafka key, so every user lives in exactly one partition
 * @param pageId     what was clicked
 * @param type       the kind of event, for example {@code view}
 * @param eventTime  when it happened: the device clock, corrected for skew when {@code sentAt} was given
 * @param sentAt     the device clock when the event was sent, or null
 * @param receivedAt when ingest received it (ingest's clock)
 * @param value      an optional number for keyed sums, or null
 * @param attrs      small optional attributes (referrer, country, user agent...), or null
 */
public record ClickEvent(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("user_id") String userId,
        @JsonProperty("page_id") String pageId,
        @JsonProperty("type") String type,
        @JsonProperty("event_time") Instant eventTime,
        @JsonProperty("sent_at") Instant sentAt,
        @JsonProperty("received_at") Instant receivedAt,
        @JsonProperty("value") Double value,
        Map<String, String> attrs) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
}
