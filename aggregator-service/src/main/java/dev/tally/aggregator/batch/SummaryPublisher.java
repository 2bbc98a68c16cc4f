package dev.tally.aggregator.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.domain.DailyCounts;
import dev.tally.aggregator.store.BatchRunRepository.Completion;
import dev.tally.contracts.DailySummary;
import dev.tally.contracts.Headers;
import dev.tally.contracts.Topics;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes a completed run to {@code page-summaries}: each row keyed {@code page_id/date}, then the run's end
 * record to every partition, so that a reader of any partition learns that the run's rows before it are all there.
 * A plain producer (acks=all, idempotent) whose sends complete a {@link Uni}, so that the run's completion can wait
 * for them inside its transaction without blocking a thread. Publishing a run again (after a crash between the
 * publish and the commit) sends the same records again, which a reader keeping the latest value per key ignores.
 */
@ApplicationScoped
public class SummaryPublisher {
    private static final Logger LOG = Logger.getLogger(SummaryPublisher.class);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    ObjectMapper json;

    private KafkaProducer<String, String> producer;
    private final AtomicBoolean warming = new AtomicBoolean();

    /**
     * Creates the producer and fetches the topic's metadata on a thread of its own, once, while a run's tasks are
     * still reading: otherwise the worker that completes the run waits after its last task for the producer to
     * start, connect and get its producer id. A failure here is only logged: {@link #partitions()} tries again
     * when the run completes.
     */
    public void warmUp() {
        if (!warming.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                partitions();
            } catch (RuntimeException e) {
                warming.set(false);
                LOG.debugf("page-summaries producer not warmed up: %s", e);
            }
        }, "tally-batch-summaries-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    /** Fetches the topic's metadata now, on the caller's (worker) thread, so that sends later do not block. */
    public synchronized int partitions() {
        return producer().partitionsFor(Topics.PAGE_SUMMARIES).size();
    }

    /** Sends every row, then the run's end record to every partition; completes once Kafka acknowledged all. */
    public Uni<Void> publish(Completion run, int partitions) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(run.rows().size() + partitions + 1);
        KafkaProducer<String, String> out = producer();
        org.apache.kafka.clients.producer.Callback callback = (metadata, e) -> {
            if (e != null) {
                done.completeExceptionally(e);
            } else if (pending.decrementAndGet() == 0) {
                done.complete(null);
            }
        };
        try {
            for (DailyCounts.Row row : run.rows()) {
                DailySummary summary = DailySummary.row(run.runId(), row.pageId(), row.date(), row.views(),
                        row.uniqueUsers());
                out.send(new ProducerRecord<>(Topics.PAGE_SUMMARIES, null, summary.key(), write(summary), headers()),
                        callback);
            }
            DailySummary end = DailySummary.run(run.runId(), run.horizon(), run.completeUntil(), run.rows().size());
            String value = write(end);
            for (int p = 0; p < partitions; p++) {
                out.send(new ProducerRecord<>(Topics.PAGE_SUMMARIES, p, end.key(), value, headers()), callback);
            }
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        callback.onCompletion(null, null); // the extra count: nothing completes before every send was handed over
        return Uni.createFrom().completionStage(done);
    }

    private static RecordHeaders headers() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA_VERSION, Integer.toString(DailySummary.SCHEMA_VERSION)
                .getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private String write(DailySummary summary) {
        try {
            return json.writeValueAsString(summary);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }

    private synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-batch-summaries");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L << 20));
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producer = new KafkaProducer<>(props);
        }
        return producer;
    }

    @PreDestroy
    synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
