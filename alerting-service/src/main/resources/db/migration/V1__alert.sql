-- One row per alert that fired: the fingerprint makes a firing happen once however often page-stats repeats it.
-- enqueued_at is the outbox marker: NULL until the webhook deliveries reached the AMQP broker.
CREATE TABLE alert (
    fingerprint  text             PRIMARY KEY,
    rule_id      text             NOT NULL,
    page_id      text             NOT NULL,
    window_kind  text             NOT NULL,
    window_size  text             NOT NULL,
    window_start timestamptz      NOT NULL,
    window_end   timestamptz      NOT NULL,
    state        text             NOT NULL,
    value        double precision NOT NULL,
    threshold    double precision NOT NULL,
    fired_at     timestamptz      NOT NULL,
    enqueued_at  timestamptz
);

CREATE INDEX alert_not_enqueued ON alert (fired_at) WHERE enqueued_at IS NULL;
