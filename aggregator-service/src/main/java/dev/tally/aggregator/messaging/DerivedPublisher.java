package dev.tally.aggregator.messaging;

import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.Headers;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Publishes committed outbox records (page-partials, page-stats, sessions, clicks.late) and then deletes them.
 * Every derived record is idempotent downstream (a version per key, or a result that is the same each time), so
 * a record published twice, after a crash between the publish and the delete, changes nothing.
 */
@ApplicationScoped
public class DerivedPublisher {
    private static final Logger LOG = Logger.getLogger(DerivedPublisher.class);
    /** One channel for every derived topic: each record names its topic (and partition) in its metadata. */
    public static final String DERIVED = "derived";

    @Inject
    @Channel(DERIVED)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 65536)
    MutinyEmitter<String> derived;

    @Inject
    StreamStateRepository repository;

    /** Sends the records and waits for Kafka's acknowledgements; the outbox rows are deleted afterwards. */
    public Uni<Void> publish(List<OutRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return send(records).call(() -> repository.published(records)
                .onFailure().invoke(e -> LOG.warnf("deleting published outbox rows failed (they will be sent "
                        + "again, harmlessly): %s", e.toString()))
                .onFailure().recoverWithNull());
    }

    /** Sends records that are not in the outbox (watermark heartbeats) and waits for the acknowledgements. */
    public Uni<Void> send(List<OutRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> sends = records.stream().map(this::sendOne).toList();
        return Uni.join().all(sends).andFailFast().replaceWithVoid();
    }

    private Uni<Void> sendOne(OutRecord record) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA_VERSION, "1".getBytes(StandardCharsets.UTF_8));
        OutgoingKafkaRecordMetadata.OutgoingKafkaRecordMetadataBuilder<String> metadata =
                OutgoingKafkaRecordMetadata.<String>builder().withTopic(record.topic()).withHeaders(headers);
        if (record.key() != null) {
            metadata.withKey(record.key());
        }
        if (record.partition() != null) {
            metadata.withPartition(record.partition());
        }
        return derived.sendMessage(Message.of(record.value()).addMetadata(metadata.build()));
    }

    /** Publishes what a crashed replica committed but never published. */
    @Scheduled(every = "10s", delayed = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return repository.stale(Duration.ofSeconds(30), 100)
                .flatMap(records -> {
                    if (!records.isEmpty()) {
                        LOG.infof("publishing %d records left in the outbox", records.size());
                    }
                    return publish(records);
                })
                .onFailure().invoke(e -> LOG.warnf("outbox sweep failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull();
    }
}
