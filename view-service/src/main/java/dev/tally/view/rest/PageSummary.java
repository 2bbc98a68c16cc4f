package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.LocalDate;
import java.util.List;

/**
 * The answer of the summary endpoint: the days of a page that have figures, each from the batch or the speed
 * layer, and the batch run used ({@code null} when no run has completed yet: then every day is from the speed
 * layer).
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record PageSummary(
        @JsonProperty("page_id") String pageId,
        @JsonProperty("from") LocalDate from,
        @JsonProperty("to") LocalDate to,
        @JsonProperty("batch_run") BatchRunRef batchRun,
        @JsonProperty("days") List<DailySummaryRow> days) {
}
