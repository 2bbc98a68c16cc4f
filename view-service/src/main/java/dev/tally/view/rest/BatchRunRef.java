package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.view.domain.LambdaMerge;
import dev.tally.view.store.BatchRun;

import java.time.Instant;
import java.time.LocalDate;

/**
 * The batch run an answer used: which one, and how far it reaches.
 *
 * @param completeUntil  every day that ends at or before this instant comes from this run
 * @param lastCoveredDay the last such day
 */
public record BatchRunRef(
        @JsonProperty("run_id") String runId,
        @JsonProperty("complete_until") Instant completeUntil,
        @JsonProperty("last_covered_day") LocalDate lastCoveredDay) {

    /** The reference to {@code run}, or null when there is none. */
    static BatchRunRef of(BatchRun run) {
        return run == null ? null
                : new BatchRunRef(run.runId, run.completeUntil, LambdaMerge.lastCoveredDay(run.completeUntil));
    }
}
