package dev.tally.ingest.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Headers;
import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes accepted events to {@code clicks}, keyed by user, through a plain Kafka producer (acks=all, idempotent).
 * This is ingest's hot path, so it does without the messaging layer's per-record machinery: a request's events
 * are handed to the producer in one task on a dedicated thread (so that a producer blocked on missing metadata
 * never blocks an event loop), and each event's future completes in the producer's callback, when Kafka has it.
 */
@ApplicationScoped
public class ClickLog {
    private static final byte[] SCHEMA_VERSION = Integer.toString(ClickEvent.SCHEMA_VERSION)
            .getBytes(StandardCharsets.UTF_8);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "tally.ingest.producer.linger-ms", defaultValue = "5")
    int lingerMs;

    private KafkaProducer<String, byte[]> producer;
    private KafkaClientMetrics metrics;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "tally-clicks-sender");
        thread.setDaemon(true);
        return thread;
    });

    @PostConstruct
    void start() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-ingest-clicks");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 65536);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
        producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        sender.shutdown();
        producer.close(Duration.ofSeconds(10));
        metrics.close();
    }

    /** Writes the events; each future completes when Kafka acknowledged that event, or fails. */
    public List<CompletableFuture<Void>> writeAll(List<ClickEvent> events) {
        List<CompletableFuture<Void>> acks = new ArrayList<>(events.size());
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(events.size());
        for (ClickEvent event : events) {
            acks.add(new CompletableFuture<>());
            try {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.CLICKS, event.userId(),
                        json.writeValueAsBytes(event));
                record.headers().add(new RecordHeader(Headers.SCHEMA_VERSION, SCHEMA_VERSION));
                record.headers().add(new RecordHeader(Headers.EVENT_ID,
                        event.eventId().getBytes(StandardCharsets.UTF_8)));
                records.add(record);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a contract record failed to serialize", e);
            }
        }
        try {
            sender.execute(() -> {
                for (int i = 0; i < records.size(); i++) {
                    CompletableFuture<Void> ack = acks.get(i);
                    try {
                        producer.send(records.get(i), (metadata, failure) -> {
                            if (failure == null) {
                                ack.complete(null);
                            } else {
                                ack.completeExceptionally(failure);
                            }
                        });
                    } catch (RuntimeException e) {
                        ack.completeExceptionally(e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            acks.forEach(ack -> ack.completeExceptionally(e));
        }
        return acks;
    }
}
