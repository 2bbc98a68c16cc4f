package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

/** A click with the place in the log it was read from: the offset is what makes processing idempotent. */
public record SourceRecord(int partition, long offset, ClickEvent event) {
}
