package dev.tally.alerting;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The alert rule given in configuration and where its webhooks go. */
@ConfigMapping(prefix = "tally.alerting")
public interface AlertingConfig {

    /** The threshold rule; without a page id, no rule is active. */
    Rule rule();

    /** The URL every alert is POSTed to; without it, alerts are recorded but not delivered. */
    Optional<String> webhookUrl();

    /** How long one webhook request may take before it counts as failed and is retried. */
    @WithDefault("PT10S")
    Duration webhookTimeout();

    /** A threshold rule: the views of a page in a window above a number. */
    interface Rule {
        /** The rule's id, part of every alert's fingerprint. */
        @WithDefault("page-views-above")
        String id();

        /** The page the rule watches. */
        Optional<String> pageId();

        /** The rule fires when a window's views are strictly above this. */
        @WithDefault("1000")
        long viewsAbove();

        /** The kind of window the rule watches (page-stats carries several). */
        @WithDefault("tumbling")
        String windowKind();

        /** The size of window the rule watches, as an ISO-8601 duration. */
        @WithDefault("P1D")
        String windowSize();
    }
}
