-- Checkpoints become incremental: a full snapshot now and then (checkpoint.state), and after it, per batch, only
-- what the batch changed (checkpoint_delta), in order. Restoring a partition reads its snapshot and then its
-- deltas; a new snapshot replaces the deltas once they add up to more than the snapshot itself, so that the
-- bytes written stay proportional to what changed, not to the size of the state.
CREATE TABLE checkpoint_delta (
    stage     text    NOT NULL,
    partition integer NOT NULL,
    seq       bigint  NOT NULL, -- orders a partition's deltas; a new snapshot deletes them all
    data      bytea   NOT NULL,
    PRIMARY KEY (stage, partition, seq)
);

-- The outbox keeps one row per partition and batch (all of the batch's records, in order, in one value) instead
-- of a row per record: a batch costs one insert and one delete, however many records it produced.
-- Tally has had no release yet: records left in the old outbox by an earlier build are not carried over.
DROP TABLE outbox;
CREATE TABLE outbox (
    id         bigserial   PRIMARY KEY,
    owner      text        NOT NULL, -- stage and partition that wrote it, e.g. 'stage1-3'
    records    bytea       NOT NULL, -- the records, in order: topic, key, partition, value each
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_by_owner ON outbox (owner, id);
