package dev.tally.contracts;

import java.time.Instant;

/**
 * Names a window: its kind ({@code tumbling}, {@code hopping}, {@code sliding}, {@code session}), its size as an
 * ISO-8601 duration ({@code PT1M}, {@code P1D}) and its bounds, start inclusive and end exclusive.
 */
public record WindowRef(String kind, String size, Instant start, Instant end) {

    /** The 1-day tumbling window, in UTC, that contains {@code time}. */
    public static WindowRef utcDay(Instant time) {
        Instant start = time.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        return new WindowRef("tumbling", "P1D", start, start.plus(java.time.Duration.ofDays(1)));
    }

    /** A stable text form, used in Kafka keys: {@code tumbling/P1D/2026-11-23T00:00:00Z}. */
    public String key() {
        return kind + "/" + size + "/" + start;
    }
}
