package dev.tally.aggregator.messaging;

import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.Headers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes committed outbox records (page-partials, page-stats, group-stats, sessions, clicks.late) and then
 * deletes them. Every derived record is idempotent downstream (a version per key, or a result that is the same each
 * time), so a record published twice, after a crash between the publish and the delete, changes nothing.
 * <p>
 * A batch can produce tens of thousands of records, so this does without the messaging layer's per-record
 * machinery: a plain Kafka producer (acks=all, idempotent, so each partition keeps the order records were handed
 * over in), fed from one dedicated thread (a producer whose buffer is full blocks that thread, never an event
 * loop), and a batch's send completes when Kafka has acknowledged every record of it.
 */
@ApplicationScoped
public class DerivedPublisher {
    private static final Logger LOG = Logger.getLogger(DerivedPublisher.class);
    private static final byte[] SCHEMA_VERSION = "1".getBytes(StandardCharsets.UTF_8);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    MeterRegistry registry;

    @Inject
    StreamStateRepository repository;

    private KafkaProducer<String, byte[]> producer;
    /** The deletes of published outbox rows still running. */
    private final java.util.Set<CompletableFuture<Void>> deleting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private KafkaClientMetrics metrics;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "tally-derived-sender");
        thread.setDaemon(true);
        return thread;
    });

    @PostConstruct
    void start() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-aggregator-derived");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 131072);
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        sender.shutdown();
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            metrics.close();
        }
    }

    /**
     * Sends the records and waits for Kafka's acknowledgements; the outbox rows are deleted afterwards, without
     * waiting for that: the stage's next batch need not wait for a round trip to the database that changes nothing
     * it reads (a row left by a crash or a failed delete is sent again, harmlessly, by {@link #sweep}).
     */
    public Uni<Void> publish(List<OutRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return send(records).invoke(() -> {
            CompletableFuture<Void> deleted = repository.published(records)
                    .onFailure().invoke(e -> LOG.warnf("deleting published outbox rows failed (they will be sent "
                            + "again, harmlessly): %s", e.toString()))
                    .onFailure().recoverWithNull().subscribeAsCompletionStage();
            deleting.add(deleted);
            deleted.whenComplete((ignored, e) -> deleting.remove(deleted));
        });
    }

    /**
     * Completes once the deletes of outbox rows begun so far are done: a partition that moves away waits for them, so
     * that its next owner does not publish its last batch again.
     */
    public CompletableFuture<Void> deletes() {
        return CompletableFuture.allOf(deleting.toArray(CompletableFuture[]::new));
    }

    /**
     * Sends records, in order, and completes once Kafka acknowledged all of them (on the caller's Vert.x context,
     * if it has one), or fails with the first error.
     */
    public Uni<Void> send(List<OutRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        sender.execute(() -> {
            AtomicInteger remaining = new AtomicInteger(records.size());
            for (OutRecord record : records) {
                ProducerRecord<String, byte[]> produced = new ProducerRecord<>(record.topic(), record.partition(),
                        record.key(), record.value());
                produced.headers().add(new RecordHeader(Headers.SCHEMA_VERSION, SCHEMA_VERSION));
                try {
                    producer.send(produced, (metadata, error) -> {
                        if (error != null) {
                            acknowledged.completeExceptionally(error);
                        } else if (remaining.decrementAndGet() == 0) {
                            acknowledged.complete(null);
                        }
                    });
                } catch (RuntimeException e) {
                    acknowledged.completeExceptionally(e);
                    return;
                }
            }
        });
        Context context = Vertx.currentContext();
        Uni<Void> sent = Uni.createFrom().completionStage(acknowledged);
        return context == null ? sent : sent.emitOn(task -> context.runOnContext(ignored -> task.run()));
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
