-- A partition's snapshot moves to a table of its own, written in a transaction of its own after the batch that it
-- follows has committed (that batch writes its delta as every batch does): storing a snapshot of megabytes no
-- longer holds a batch, nor locks the checkpoint row that the next batch locks. Deltas are numbered by the
-- checkpoint (delta_seq, the last written); a snapshot says which delta it includes (seq), and replaces only the
-- deltas up to it, so that one stored late, or twice, or never, leaves a checkpoint that restores the same state.
CREATE TABLE checkpoint_snapshot (
    stage     text    NOT NULL,
    partition integer NOT NULL,
    seq       bigint  NOT NULL, -- the last delta this snapshot includes
    state     bytea   NOT NULL,
    PRIMARY KEY (stage, partition)
);
ALTER TABLE checkpoint_snapshot ALTER COLUMN state SET STORAGE EXTERNAL;

ALTER TABLE checkpoint ADD COLUMN delta_seq bigint NOT NULL DEFAULT 0;

-- what an earlier build left: its snapshot includes no delta, its deltas are numbered from 1 after it
INSERT INTO checkpoint_snapshot (stage, partition, seq, state) SELECT stage, partition, 0, state FROM checkpoint;
UPDATE checkpoint c SET delta_seq = d.last
    FROM (SELECT stage, partition, max(seq) AS last FROM checkpoint_delta GROUP BY stage, partition) d
    WHERE c.stage = d.stage AND c.partition = d.partition;
ALTER TABLE checkpoint DROP COLUMN state;
