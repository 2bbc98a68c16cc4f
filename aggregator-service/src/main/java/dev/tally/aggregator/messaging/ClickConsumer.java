package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.domain.SourceRecord;
import dev.tally.aggregator.store.DailyCountsRepository;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Consumes {@code clicks} in micro-batches. Each batch is applied in one database transaction together with
 * the next offset of each partition; Kafka's own offset commits are not used (commit-strategy=ignore), and on
 * every assignment {@link StoredOffsetsRebalanceListener} seeks to the stored offsets. A failed transaction is
 * retried with backoff, holding consumption back instead of skipping ahead.
 */
@ApplicationScoped
public class ClickConsumer {
    private static final Logger LOG = Logger.getLogger(ClickConsumer.class);
    /** Channel of the {@code clicks} topic. */
    public static final String CLICKS = "clicks";

    private final DailyCountsRepository repository;
    private final PageStatsPublisher publisher;
    private final ObjectMapper json;
    private final Counter counted;
    private final Counter skipped;
    private final Counter unreadable;
    private final Counter duplicates;
    private final Timer commitLatency;

    @Inject
    public ClickConsumer(DailyCountsRepository repository, PageStatsPublisher publisher, ObjectMapper json,
                         MeterRegistry registry) {
        this.repository = repository;
        this.publisher = publisher;
        this.json = json;
        this.counted = registry.counter("tally.aggregator.events.counted");
        this.skipped = registry.counter("tally.aggregator.events.skipped", "reason", "already-counted");
        this.unreadable = registry.counter("tally.aggregator.events.skipped", "reason", "unreadable");
        this.duplicates = registry.counter("tally.aggregator.events.skipped", "reason", "duplicate-event-id");
        this.commitLatency = registry.timer("tally.aggregator.batch.commit");
    }

    @Incoming(CLICKS)
    public Uni<Void> consume(KafkaRecordBatch<String, String> batch) {
        List<SourceRecord> records = new ArrayList<>(batch.getRecords().size());
        for (KafkaRecord<String, String> record : batch.getRecords()) {
            IncomingKafkaRecordMetadata<?, ?> source = record.getMetadata(IncomingKafkaRecordMetadata.class)
                    .orElseThrow();
            records.add(new SourceRecord(source.getPartition(), source.getOffset(), parse(record, source)));
        }
        long started = System.nanoTime();
        return repository.apply(Topics.CLICKS, records)
                .onFailure().invoke(e -> LOG.warnf("applying a batch of %d clicks failed, retrying: %s",
                        records.size(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .flatMap(applied -> {
                    commitLatency.record(Duration.ofNanos(System.nanoTime() - started));
                    counted.increment(applied.counted());
                    skipped.increment(applied.skipped());
                    duplicates.increment(applied.duplicates());
                    return publisher.publish(applied.changed(), applied.nextOffsets())
                            // the outbox sweeper publishes whatever this could not
                            .onFailure().invoke(e -> LOG.warnf("publishing page-stats failed: %s", e.toString()))
                            .onFailure().recoverWithNull();
                })
                .replaceWithVoid()
                .call(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    /** A record that is not a click is counted as consumed (its offset moves on) but adds nothing. */
    private ClickEvent parse(KafkaRecord<String, String> record, IncomingKafkaRecordMetadata<?, ?> source) {
        try {
            ClickEvent event = json.readValue(record.getPayload(), ClickEvent.class);
            if (event.pageId() == null || event.userId() == null || event.eventTime() == null) {
                throw new IllegalArgumentException("missing page_id, user_id or event_time");
            }
            return event;
        } catch (Exception e) {
            unreadable.increment();
            LOG.warnf("clicks partition %d offset %d is not a click event, skipped: %s", source.getPartition(),
                    source.getOffset(), e.getMessage());
            return null;
        }
    }
}
