package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.LocalDate;

/**
 * One page on one UTC day, as the summary endpoint answers it.
 *
 * @param layer      {@code batch} (the served batch run) or {@code speed} (the stream's 1-day window)
 * @param finalValue whether the figures can still change: batch rows are final, a speed row is once its window is
 */
public record DailySummaryRow(
        @JsonProperty("page_id") String pageId,
        @JsonProperty("date") LocalDate date,
        @JsonProperty("total_views") long totalViews,
        @JsonProperty("unique_users") long uniqueUsers,
        @JsonProperty("layer") String layer,
        @JsonProperty("final") boolean finalValue) {
}
