-- The batch view (topic page-summaries): the rows of every batch run seen, which run is served, and why.

-- One batch run as view-service knows it. A run is 'open' while only its rows have been seen, 'ended' once its
-- run-end record has been seen, 'current' while it is the one served (at most one), 'superseded' once a newer
-- run replaced it (its rows kept a little longer for readers still on it), and 'dropped' once its rows are gone.
-- The row of a run is never deleted, so that a redelivered row or run end of an old run is recognised and ignored.
CREATE TABLE batch_run (
    run_id             text        PRIMARY KEY,
    state              text        NOT NULL CHECK (state IN ('open', 'ended', 'current', 'superseded', 'dropped')),
    rows_received      bigint      NOT NULL DEFAULT 0, -- distinct (page, date) rows stored for this run
    rows_expected      bigint,                         -- from the run-end record: the run is complete when reached
    complete_until     timestamptz,                    -- from the run-end record
    horizon            text,                           -- from the run-end record: {"partition": end offset} as JSON
    end_seq            bigint,                         -- order in which run-end records first arrived
    first_seen_at      timestamptz NOT NULL,
    ended_at           timestamptz,
    became_current_at  timestamptz,
    superseded_at      timestamptz
);

CREATE SEQUENCE batch_run_end_seq;

-- One row of a batch run: the views and exact distinct users of a page on a UTC day.
CREATE TABLE batch_row (
    run_id        text   NOT NULL REFERENCES batch_run (run_id),
    page_id       text   NOT NULL,
    day           date   NOT NULL,
    total_views   bigint NOT NULL,
    unique_users  bigint NOT NULL,
    PRIMARY KEY (run_id, page_id, day)
);

-- The one pointer readers follow: switching runs is one update of this row, in the same transaction that
-- changes the runs' states.
CREATE TABLE serving_state (
    id              int         PRIMARY KEY CHECK (id = 1),
    current_run_id  text        REFERENCES batch_run (run_id),
    switched_at     timestamptz
);

INSERT INTO serving_state (id) VALUES (1);

