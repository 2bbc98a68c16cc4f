-- The two-stage stream engine keeps its state in memory and checkpoints it here, one row per stage and
-- partition, in the same transaction as the records it has still to publish (the outbox) and the next offset to
-- read. The daily tables of the first version are replaced by the 1-day tumbling window.
CREATE TABLE checkpoint (
    stage       text        NOT NULL, -- 'stage1' (a partition of clicks) or 'stage2' (a partition of page-partials)
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,
    state       bytea       NOT NULL,
    watermark   timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stage, partition)
);

CREATE TABLE outbox (
    id               bigserial   PRIMARY KEY,
    owner            text        NOT NULL, -- stage and partition that wrote it, e.g. 'stage1-3'
    topic            text        NOT NULL,
    record_key       text,
    target_partition integer,
    value            text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_by_owner ON outbox (owner, id);

DROP TABLE page_day_user;
DROP TABLE page_day;
DROP TABLE source_offset;
