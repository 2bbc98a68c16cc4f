package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.contracts.json.IsoInstants;

import java.time.Instant;

/**
 * Names a window: its kind ({@code tumbling}, {@code hopping}, {@code sliding}), its size and, for hopping and
 * sliding windows, its advance, as ISO-8601 durations ({@code PT1M}, {@code P1D}), and its bounds, start
 * inclusive and end exclusive.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WindowRef(
        @JsonProperty("kind") String kind,
        @JsonProperty("size") String size,
        @JsonProperty("advance") String advance,
        @JsonProperty("start") Instant start,
        @JsonProperty("end") Instant end) {

    /** A window without an advance: tumbling. */
    public WindowRef(String kind, String size, Instant start, Instant end) {
        this(kind, size, null, start, end);
    }

    /** The 1-day tumbling window, in UTC, that contains {@code time}. */
    public static WindowRef utcDay(Instant time) {
        Instant start = time.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        return new WindowRef("tumbling", "P1D", start, start.plus(java.time.Duration.ofDays(1)));
    }

    /**
     * A stable text form, used in Kafka keys: {@code tumbling/P1D/2026-11-23T00:00:00Z}. The start is
     * {@code Instant.toString()}'s text through {@link IsoInstants#format}: the aggregator makes a key for every
     * result, and {@code Instant.toString()} (a formatter, boxed fields) was 8% of its allocated bytes.
     */
    public String key() {
        return kind + "/" + size + (advance == null ? "" : "/" + advance) + "/"
                + (start == null ? "null" : IsoInstants.format(start));
    }
}
