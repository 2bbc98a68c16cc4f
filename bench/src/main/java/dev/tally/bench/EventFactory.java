package dev.tally.bench;

import io.vertx.core.buffer.Buffer;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request bodies of click events of a fixed size, each with an event id never used before in this run: ingest
 * deduplicates by event id, so a repeated id would be answered "duplicate" without reaching Kafka and flatter the
 * figures. Used from the load generator's one event-loop thread only, hence no synchronization.
 */
final class EventFactory {
    private static final String PADDING = "/landing/autumn-sale?utm_source=newsletter&utm_medium=email&utm_campaign="
            .repeat(400);

    private final String runTag;
    private final int eventBytes;
    private long next;
    private long issued;

    EventFactory(int eventBytes) {
        this.eventBytes = eventBytes;
        this.runTag = "b" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);
    }

    /** A JSON array of {@code count} events. */
    Buffer batch(int count) {
        String eventTime = eventTime();
        StringBuilder body = new StringBuilder(count * (eventBytes + 1) + 2).append('[');
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                body.append(',');
            }
            appendEvent(body, eventTime);
        }
        return Buffer.buffer(body.append(']').toString());
    }

    /** One event object. */
    Buffer single() {
        StringBuilder body = new StringBuilder(eventBytes + 16);
        appendEvent(body, eventTime());
        return Buffer.buffer(body.toString());
    }

    /** How many events (and so distinct ids) were made. */
    long issued() {
        return issued;
    }

    private void appendEvent(StringBuilder out, String eventTime) {
        long n = next++;
        issued++;
        int start = out.length();
        out.append("{\"event_id\":\"").append(runTag).append('-').append(n)
                .append("\",\"user_id\":\"u-").append(n % 100_000)
                .append("\",\"page_id\":\"page-").append(n % 1_000)
                .append("\",\"type\":\"view\",\"event_time\":\"").append(eventTime)
                .append("\",\"attrs\":{\"ref\":\"");
        int pad = Math.max(1, eventBytes - (out.length() - start) - 3);
        out.append(PADDING, 0, Math.min(pad, PADDING.length())).append("\"}}");
    }

    /** A few seconds ago, as a client that batches a little would send it; one per request is close enough. */
    private static String eventTime() {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.now().minusSeconds(3));
    }
}
