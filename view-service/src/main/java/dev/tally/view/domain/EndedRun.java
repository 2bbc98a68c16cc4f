package dev.tally.view.domain;

import java.time.Instant;

/**
 * A batch run whose run-end record has been seen, as the choice of the served run needs it.
 *
 * @param runId         the run
 * @param completeUntil every day that ends at or before this instant is complete in the run
 * @param endSeq        the order in which run-end records first arrived: the later, the larger
 * @param complete      true once every row the run-end record announced has been stored
 */
public record EndedRun(String runId, Instant completeUntil, long endSeq, boolean complete) {
}
