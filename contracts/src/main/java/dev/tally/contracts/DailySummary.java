package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

/**
 * A record of {@link Topics#PAGE_SUMMARIES}, version 1: the batch view. Either one row of a batch run
 * ({@code type=row}, keyed {@code page_id/date}): the views and exact distinct users of a page on a UTC day, over
 * the log up to the run's horizon; or the end of a run ({@code type=run}, keyed {@code run}, sent to every
 * partition after all of the run's rows): its id, its horizon (the end offset of each {@code clicks} partition it
 * read up to, exclusive), the event time up to which it is complete ({@code complete_until}: every day that ends
 * at or before it is served from the batch view) and how many rows it published. A reader serves a run's rows only
 * once it has seen the run's end record.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DailySummary(
        @JsonProperty("type") String type,
        @JsonProperty("run_id") String runId,
        @JsonProperty("page_id") String pageId,
        @JsonProperty("date") LocalDate date,
        @JsonProperty("total_views") Long totalViews,
        @JsonProperty("unique_users") Long uniqueUsers,
        @JsonProperty("horizon") Map<Integer, Long> horizon,
        @JsonProperty("complete_until") Instant completeUntil,
        @JsonProperty("rows") Long rows) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
    public static final String ROW = "row";
    public static final String RUN = "run";
    /** The key of a run's end record. */
    public static final String RUN_KEY = "run";

    public static DailySummary row(String runId, String pageId, LocalDate date, long totalViews, long uniqueUsers) {
        return new DailySummary(ROW, runId, pageId, date, totalViews, uniqueUsers, null, null, null);
    }

    public static DailySummary run(String runId, Map<Integer, Long> horizon, Instant completeUntil, long rows) {
        return new DailySummary(RUN, runId, null, null, null, null, horizon, completeUntil, rows);
    }

    /** The compaction key of a row: {@code page_id/date}. */
    public String key() {
        return RUN.equals(type) ? RUN_KEY : pageId + "/" + date;
    }
}
