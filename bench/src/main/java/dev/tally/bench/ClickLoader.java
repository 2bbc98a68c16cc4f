package dev.tally.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Topics;
import dev.tally.testkit.KafkaTestClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills {@code clicks} before the aggregator benchmark starts the service, the way ingest would have: ClickEvent
 * JSON keyed by user, every event id unique, event times rising across the run with a little disorder. This is
 * setup, so it writes as fast as one producer can; its rate is printed but compared with nothing.
 */
final class ClickLoader {
    /** Target size of one JSON value, padded through {@code attrs}: the size the other benchmarks use. */
    static final int VALUE_BYTES = 200;
    /** Events are at most this much older than the event-time line they sit on: less than the 5 s out-of-orderness. */
    static final long DISORDER_MS = 4_000;

    /** What was written and how long it took; {@code first}/{@code last} bound the event times. */
    record Result(long events, long bytes, Duration wall, Instant first, Instant last) {
        double eventsPerSecond() {
            return events / (wall.toNanos() / 1e9);
        }
    }

    static Result load(String bootstrap, AggregatorOptions options) throws Exception {
        return load(bootstrap, options.events(), options.users(), options.pages(), options.eventSpan());
    }

    /** {@code n} events of {@code users} users on {@code pages} pages, event times rising over {@code span}. */
    static Result load(String bootstrap, long n, int users, int pages, Duration span) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(64L << 20));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

        SplittableRandom random = new SplittableRandom(20261123L);
        String runTag = "agg" + Long.toString(System.currentTimeMillis(), 36);
        // the last event a few minutes before now: recent enough for every window's retention, all in the past
        Instant last = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        Instant first = last.minus(span);
        long spanMs = span.toMillis();
        Instant receivedAt = Instant.now();
        String padding = "x".repeat(VALUE_BYTES);
        AtomicLong acked = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long bytes = 0;
        long started = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (long i = 0; i < n; i++) {
                if (failure.get() != null) {
                    throw failure.get();
                }
                long lineMs = n == 1 ? 0 : spanMs * i / (n - 1);
                Instant eventTime = first.plusMillis(Math.max(0, lineMs - random.nextLong(DISORDER_MS)));
                String user = "u-" + random.nextInt(users);
                String page = "page-" + random.nextInt(pages);
                String json = json(new ClickEvent(runTag + "-" + i, user, page, "view", eventTime, null, receivedAt,
                        null, null), padding);
                bytes += json.length();
                producer.send(new ProducerRecord<>(Topics.CLICKS, user, json), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        acked.incrementAndGet();
                    }
                });
                if ((i + 1) % 250_000 == 0) {
                    AggregatorBenchmark.say(String.format("  %,d events handed to the producer", i + 1));
                }
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        if (acked.get() != n) {
            throw new IllegalStateException("only " + acked.get() + " of " + n + " events were acknowledged");
        }
        return new Result(n, bytes, Duration.ofNanos(System.nanoTime() - started), first, last);
    }

    /** The event's JSON, padded with one attribute to about {@link #VALUE_BYTES}. */
    private static String json(ClickEvent event, String padding) throws JsonProcessingException {
        String bare = KafkaTestClient.JSON.writeValueAsString(event);
        int pad = VALUE_BYTES - bare.length() - 14;
        if (pad <= 0) {
            return bare;
        }
        ClickEvent padded = new ClickEvent(event.eventId(), event.userId(), event.pageId(), event.type(),
                event.eventTime(), event.sentAt(), event.receivedAt(), event.value(),
                Map.of("ref", padding.substring(0, pad)));
        return KafkaTestClient.JSON.writeValueAsString(padded);
    }

    private ClickLoader() {
    }
}
