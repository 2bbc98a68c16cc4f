package dev.tally.ingest.domain;

import java.time.Duration;
import java.util.Set;

/**
 * The limits an event must respect.
 *
 * @param maxClockSkew  the largest correction of a device clock applied to an event time
 * @param maxFuture     how far past ingest's clock a (corrected) event time may be
 * @param maxAge        how far before ingest's clock a (corrected) event time may be
 * @param maxEventBytes the largest single event, in bytes of JSON
 * @param maxAttrs      the most entries in {@code attrs}
 * @param maxAttrLength the longest key or value in {@code attrs}, in characters
 * @param types         the allowed values of {@code type}; empty allows any
 */
public record ValidationRules(Duration maxClockSkew, Duration maxFuture, Duration maxAge, int maxEventBytes,
                              int maxAttrs, int maxAttrLength, Set<String> types) {

    /** Defaults that suit a test or a first run. */
    public static ValidationRules defaults() {
        return new ValidationRules(Duration.ofHours(1), Duration.ofHours(1), Duration.ofDays(30), 32 * 1024, 32, 256,
                Set.of());
    }
}
