package dev.tally.view;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How view-service serves the batch view and reconciles it with the speed layer. */
@ConfigMapping(prefix = "tally.view")
public interface ViewConfig {

    Batch batch();

    Reconciliation reconciliation();

    /** The batch view (topic page-summaries). */
    interface Batch {
        /**
         * How long the rows of a run that a newer run replaced are kept, so that a request that looked up the served
         * run just before the switch still finds its rows.
         */
        @WithDefault("PT1M")
        Duration keepSuperseded();
    }

    /** The comparison of the batch and speed layers. */
    interface Reconciliation {
        /** How often the drift gauges are recomputed, besides right after every switch of the served run. */
        @WithDefault("PT1M")
        Duration every();
    }
}
