package dev.tally.aggregator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How aggregator-service keeps its state. */
@ConfigMapping(prefix = "tally.aggregator")
public interface AggregatorConfig {

    /** How long a counted event id is remembered, so that a repeat of it is not counted again. */
    @WithDefault("P7D")
    Duration dedupHorizon();
}
