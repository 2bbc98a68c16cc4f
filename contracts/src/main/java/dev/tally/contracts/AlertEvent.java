package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/**
 * A transition of one alert, as published on {@link Topics#ALERTS} and sent to webhooks, version 1.
 *
 * @param fingerprint identifies the alert (rule and grouping labels); the same alert always has the same one
 * @param ruleId      the rule that fired
 * @param state       {@code firing} or {@code resolved}
 * @param pageId      the page the rule looked at
 * @param window      the window whose totals crossed the rule's threshold
 * @param value       the observed value
 * @param threshold   the rule's threshold
 * @param at          when the transition happened
 */
public record AlertEvent(
        @JsonProperty("fingerprint") String fingerprint,
        @JsonProperty("rule_id") String ruleId,
        @JsonProperty("state") String state,
        @JsonProperty("page_id") String pageId,
        @JsonProperty("window") WindowRef window,
        @JsonProperty("value") double value,
        @JsonProperty("threshold") double threshold,
        @JsonProperty("at") Instant at) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
}
