/** aggregator-service: derives per-page statistics from the {@code clicks} log. */
package dev.tally.aggregator;
