package dev.tally.ingest.service;

import java.util.List;

/**
 * The answer to a request as a whole: per-event results, or a refusal of the whole request before anything was
 * written (rate limit, too many records in flight, Kafka unavailable).
 */
public record IngestOutcome(Refusal refusal, List<EventResult> results) {

    /** Why nothing, or not everything, was written. */
    public enum Refusal {
        /** Every event has its result; none is {@code unavailable}. */
        NONE,
        /** The write key is over its rate limit: 429. */
        RATE_LIMITED,
        /** Too many records in flight, or Kafka unavailable: 503. */
        UNAVAILABLE
    }

    public long count(String status) {
        return results.stream().filter(r -> r.status().equals(status)).count();
    }
}
