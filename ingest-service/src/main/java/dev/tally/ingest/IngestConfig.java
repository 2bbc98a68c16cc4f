package dev.tally.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How ingest-service validates and accepts events. */
@ConfigMapping(prefix = "tally.ingest")
public interface IngestConfig {

    /** The largest correction of a device clock that ingest applies to an event time. */
    @WithDefault("PT1H")
    Duration maxClockSkew();

    /** How long a request waits for Kafka's acknowledgement before ingest answers 503. */
    @WithDefault("PT10S")
    Duration produceTimeout();
}
