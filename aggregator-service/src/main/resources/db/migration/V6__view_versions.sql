-- The versions of the stream views. Version 1 is what the engine always built; a Kappa replay (POST
-- /admin/replays) adds the next version, built from offset 0 of clicks beside the serving one, which it replaces
-- once it has caught up. Exactly one version serves; at most one replays.
CREATE TABLE view_version (
    version            integer     PRIMARY KEY,
    state              text        NOT NULL CHECK (state IN ('replaying', 'serving', 'retired', 'dropped')),
    requested_at       timestamptz NOT NULL DEFAULT now(),
    serving_at         timestamptz,
    retired_at         timestamptz,
    dropped_at         timestamptz,
    -- a replay's catch-up: 'clicks' (stage 1 reaching where the serving version's stage 1 was at the last check),
    -- then 'partials' (stage 2 reaching the end offsets of its page-partials when stage 1 had caught up)
    phase              text,
    target             jsonb,
    -- for a serving version that replaced another: the end offsets of its page-stats when it caught up
    page_stats_offsets jsonb,
    -- the state last announced on the view-versions topic
    announced          text
);

CREATE UNIQUE INDEX view_version_one_replay ON view_version ((true)) WHERE state = 'replaying';
CREATE UNIQUE INDEX view_version_one_serving ON view_version ((true)) WHERE state = 'serving';

INSERT INTO view_version (version, state, serving_at) VALUES (1, 'serving', now());

-- Each version counts every event id once: a replay remembers the ids it counted apart from the serving version.
ALTER TABLE seen_event ADD COLUMN view_version integer NOT NULL DEFAULT 1;
ALTER TABLE seen_event DROP CONSTRAINT seen_event_pkey;
ALTER TABLE seen_event ADD PRIMARY KEY (view_version, event_id);
