package dev.tally.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** How ingest-service authenticates, validates and accepts events. */
@ConfigMapping(prefix = "tally.ingest")
public interface IngestConfig {

    /** Write keys accepted in {@code Authorization: Bearer <key>} (environment: TALLY_INGEST_KEYS, comma-separated). */
    List<String> keys();

    /** The largest correction of a device clock that ingest applies to an event time. */
    @WithDefault("PT1H")
    Duration maxClockSkew();

    /** How far in the future a (corrected) event time may be. */
    @WithDefault("PT1H")
    Duration maxFuture();

    /** How old a (corrected) event time may be. */
    @WithDefault("P30D")
    Duration maxAge();

    /** The allowed values of {@code type}; unset allows any. */
    Optional<List<String>> types();

    /** The largest event, in bytes of JSON. */
    @WithDefault("32768")
    int maxEventBytes();

    /** The largest request body, in bytes; larger ones are refused with 413. */
    @WithDefault("1048576")
    int maxRequestBytes();

    /** The most events in one batch request. */
    @WithDefault("10000")
    int maxBatchEvents();

    /** The most entries in an event's {@code attrs}. */
    @WithDefault("32")
    int maxAttrs();

    /** The longest key or value in an event's {@code attrs}, in characters. */
    @WithDefault("256")
    int maxAttrLength();

    /** Records written to Kafka but not yet acknowledged, at most; beyond it requests get 503. */
    @WithDefault("20000")
    int maxInFlight();

    /** How long a request waits for Kafka's acknowledgement before ingest answers 503. */
    @WithDefault("PT12S")
    Duration produceTimeout();

    /** How long an event id is remembered to answer a retry with "duplicate". */
    @WithDefault("PT15M")
    Duration dedupHorizon();

    /** How many event ids are remembered at most (the oldest are forgotten first). */
    @WithDefault("2000000")
    long dedupMaxIds();

    /** Events per second per write key; 0 means no limit. */
    @WithDefault("0")
    double rateLimit();
}
