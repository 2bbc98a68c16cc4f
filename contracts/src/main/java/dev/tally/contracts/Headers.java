package dev.tally.contracts;

/** Kafka record headers every Tally record carries, so that a consumer can route on them without parsing. */
public final class Headers {
    /** The schema version of the value, as a decimal string ("1"). */
    public static final String SCHEMA_VERSION = "tally-schema-version";
    /** The event id of a click, the idempotency key of the whole pipeline. */
    public static final String EVENT_ID = "tally-event-id";

    private Headers() {
    }
}
