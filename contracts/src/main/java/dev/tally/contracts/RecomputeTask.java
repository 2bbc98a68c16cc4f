package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A message of the AMQP queue {@link Queues#RECOMPUTE_TASKS}, version 1: one piece of a batch run, the records of
 * one {@code clicks} partition from {@code from_offset} (inclusive) to {@code to_offset} (exclusive). Any
 * aggregator replica may take it; a task redelivered after a failure replaces its earlier partial result.
 */
public record RecomputeTask(
        @JsonProperty("run_id") String runId,
        @JsonProperty("task_id") String taskId,
        @JsonProperty("partition") int partition,
        @JsonProperty("from_offset") long fromOffset,
        @JsonProperty("to_offset") long toOffset) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
}
