package dev.tally.view.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/**
 * The single pointer to the batch run readers are served. Switching runs updates this one row in the transaction
 * that changes the runs' states, so a reader sees either the old run or the new one, never a mixture.
 */
@Entity
@Table(name = "serving_state", schema = "view")
public class ServingState {
    /** The id of the only row. */
    public static final int ID = 1;

    @Id
    public int id;
    @Column(name = "current_run_id")
    public String currentRunId;
    @Column(name = "switched_at")
    public Instant switchedAt;
}
