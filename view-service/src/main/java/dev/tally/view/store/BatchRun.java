package dev.tally.view.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/**
 * One batch run of {@code page-summaries} as view-service knows it: whether its end has been seen, how many of its
 * rows are stored, and whether it is served. Kept after its rows are dropped, so that a redelivered record of an
 * old run is recognised and ignored.
 */
@Entity
@Table(name = "batch_run", schema = "view")
public class BatchRun {
    /** Only rows have been seen. */
    public static final String OPEN = "open";
    /** The run-end record has been seen; not served (yet). */
    public static final String ENDED = "ended";
    /** The run readers are served. At most one run is current. */
    public static final String CURRENT = "current";
    /** A newer run is served; the rows are kept a little longer for readers that are still on this run. */
    public static final String SUPERSEDED = "superseded";
    /** Superseded and its rows deleted. */
    public static final String DROPPED = "dropped";

    @Id
    @Column(name = "run_id")
    public String runId;
    public String state;
    @Column(name = "rows_received")
    public long rowsReceived;
    @Column(name = "rows_expected")
    public Long rowsExpected;
    @Column(name = "complete_until")
    public Instant completeUntil;
    /** The run's horizon as JSON: the end offset of each {@code clicks} partition it read up to. */
    public String horizon;
    @Column(name = "end_seq")
    public Long endSeq;
    @Column(name = "first_seen_at")
    public Instant firstSeenAt;
    @Column(name = "ended_at")
    public Instant endedAt;
    @Column(name = "became_current_at")
    public Instant becameCurrentAt;
    @Column(name = "superseded_at")
    public Instant supersededAt;

    /** True once the run end was seen and every row it announced is stored. */
    public boolean complete() {
        return rowsExpected != null && rowsReceived >= rowsExpected;
    }

    /** True for a run that lost to a newer one: its records change nothing any more. */
    public boolean retired() {
        return SUPERSEDED.equals(state) || DROPPED.equals(state);
    }
}
