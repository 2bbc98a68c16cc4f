-- The stream views come in versions: a Kappa replay builds version n+1 from the log beside version n, on its own
-- page-stats topic. Rows of every version being built or served live side by side; queries read the serving one.
ALTER TABLE page_window ADD COLUMN view_version integer NOT NULL DEFAULT 1;
ALTER TABLE page_window DROP CONSTRAINT page_window_pkey;
ALTER TABLE page_window ADD PRIMARY KEY (view_version, result_key);
DROP INDEX page_window_by_page;
CREATE INDEX page_window_by_page ON page_window (view_version, page_id, window_kind, window_size, window_start);

-- What the view-versions topic said about each version; a serving version is switched to once this service has
-- applied its page-stats up to page_stats_offsets (switched_at set).
CREATE TABLE view_version (
    version            integer     PRIMARY KEY,
    state              text        NOT NULL,
    page_stats_offsets jsonb,
    announced_at       timestamptz NOT NULL,
    switched_at        timestamptz
);

-- The version queries answer from: one row.
CREATE TABLE serving_version (
    only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    version    integer     NOT NULL,
    switched_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO serving_version (version) VALUES (1);
