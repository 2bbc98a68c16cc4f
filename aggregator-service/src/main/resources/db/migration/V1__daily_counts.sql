-- Views and unique users per page per UTC day, with the offsets of clicks they cover.
-- Counts, offsets and the outbox marker change in one transaction per micro-batch: a restart resumes exactly
-- where the last committed batch ended, so nothing is lost and nothing is counted twice.

CREATE TABLE source_offset (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);

CREATE TABLE page_day (
    page_id           text        NOT NULL,
    day               date        NOT NULL,
    views             bigint      NOT NULL,
    unique_users      bigint      NOT NULL,
    -- grows with every update; consumers of page-stats apply only newer versions
    version           bigint      NOT NULL,
    -- the outbox: rows whose version is above this one still have to be published on page-stats
    published_version bigint      NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (page_id, day)
);

CREATE INDEX page_day_unpublished ON page_day (updated_at) WHERE version > published_version;

-- Exact unique users: one row per (page, day, user) seen.
CREATE TABLE page_day_user (
    page_id text NOT NULL,
    day     date NOT NULL,
    user_id text NOT NULL,
    PRIMARY KEY (page_id, day, user_id)
);
