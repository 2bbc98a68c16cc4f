-- Event ids already counted, within the dedup horizon: a client's retry that reached Kafka twice (through two
-- ingest replicas, or after ingest forgot the id) is counted once. Rows older than the horizon are pruned.
CREATE TABLE seen_event (
    event_id text        PRIMARY KEY,
    seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX seen_event_by_age ON seen_event (seen_at);
