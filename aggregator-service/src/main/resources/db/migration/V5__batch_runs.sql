-- Batch runs over the clicks log (package batch): a run with its horizon, its tasks (one per clicks partition,
-- shared by the workers over the AMQP queue recompute-tasks) and each task's partial daily summary. A task's
-- partial rows are replaced, never added, by the transaction that marks the task done, so a task that runs twice
-- (redelivered after a failure or a dead worker) still counts once. A run is completed once, under a row lock on
-- batch_run, by whichever worker finishes its last task.
CREATE TABLE batch_run (
    run_id         text        PRIMARY KEY,
    state          text        NOT NULL, -- running, completed, failed
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    row_count      bigint,
    complete_until timestamptz,
    error          text
);

CREATE INDEX batch_run_by_age ON batch_run (created_at DESC);

CREATE TABLE batch_task (
    run_id         text        NOT NULL REFERENCES batch_run (run_id),
    task_id        text        NOT NULL,
    partition      integer     NOT NULL,
    from_offset    bigint      NOT NULL,
    to_offset      bigint      NOT NULL, -- the horizon of the partition, exclusive
    state          text        NOT NULL DEFAULT 'pending', -- pending, running, done, failed
    attempts       integer     NOT NULL DEFAULT 0,
    worker         text,
    offset_reached bigint      NOT NULL,
    records_read   bigint      NOT NULL DEFAULT 0,
    events         bigint      NOT NULL DEFAULT 0, -- counted: each event id once
    duplicates     bigint      NOT NULL DEFAULT 0,
    unreadable     bigint      NOT NULL DEFAULT 0,
    max_event_time timestamptz,
    started_at     timestamptz,
    done_at        timestamptz,
    error          text,
    PRIMARY KEY (run_id, task_id)
);

CREATE TABLE batch_partial (
    run_id       text   NOT NULL,
    task_id      text   NOT NULL,
    page_id      text   NOT NULL,
    day          date   NOT NULL,
    views        bigint NOT NULL,
    unique_users bigint NOT NULL,
    PRIMARY KEY (run_id, task_id, page_id, day),
    FOREIGN KEY (run_id, task_id) REFERENCES batch_task (run_id, task_id)
);
