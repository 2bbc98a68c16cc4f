package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;

/**
 * A completed session of one user, as published on {@link Topics#SESSIONS}, version 1: events closer than the
 * gap to each other, from the first to the last.
 */
public record SessionResult(
        @JsonProperty("user_id") String userId,
        @JsonProperty("start") Instant start,
        @JsonProperty("end") Instant end,
        @JsonProperty("gap") String gap,
        @JsonProperty("events") long events,
        @JsonProperty("pages") List<String> pages,
        @JsonProperty("final") boolean finalResult) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
}
