package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.LocalDate;

/** One page on one UTC day, as the summary endpoint answers it. */
public record DailySummaryRow(
        @JsonProperty("page_id") String pageId,
        @JsonProperty("date") LocalDate date,
        @JsonProperty("total_views") long totalViews,
        @JsonProperty("unique_users") long uniqueUsers) {
}
