-- The serving table of page-stats: the newest version of every page and window.
CREATE TABLE page_window (
    result_key   text        PRIMARY KEY, -- the page-stats key: page_id/kind/size/start
    page_id      text        NOT NULL,
    window_kind  text        NOT NULL,
    window_size  text        NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    views        bigint      NOT NULL,
    unique_users bigint      NOT NULL,
    version      bigint      NOT NULL,
    is_final     boolean     NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE INDEX page_window_by_page ON page_window (page_id, window_kind, window_size, window_start);
