package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.ViewVersions;
import dev.tally.contracts.WindowResult;
import dev.tally.view.store.PageWindowRepository;
import dev.tally.view.store.ServingVersions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Keeps the serving table equal to the newest version of every page-stats key, per view version: the consumer
 * subscribes to {@code page-stats} of every view version ({@code page-stats}, {@code page-stats.v2}, ...), so that a
 * replay's rows are there before readers switch to it (see {@link ServingVersions}); records of a version older
 * than the serving one are skipped. A record that cannot be read is logged and skipped; a database failure is
 * retried with backoff, holding consumption back.
 * <p>
 * A plain Kafka consumer on a thread of its own: while one write is in flight, it goes on polling and keeps, of each
 * key, only the newest version read; when the write is done, everything read meanwhile goes out as the next write
 * (one statement per view version that changes a row only if its version is older), and the offsets it covers are
 * committed. So a write takes whatever came during the last one: under load the writes grow and the repeats of a
 * key (stage 2 sends a day window again at every batch) collapse, instead of queueing behind one another as the
 * small batches of each poll did. What waits is bounded ({@link #MAX_PENDING_KEYS}): beyond it the loop waits for
 * the write in flight. Applying is idempotent (by version), so Kafka's committed offsets suffice; they also tell
 * {@link ServingVersions} when a replay's results are all applied.
 */
@ApplicationScoped
public class PageStatsConsumer {
    private static final Logger LOG = Logger.getLogger(PageStatsConsumer.class);
    /** The topics of every view version's page-stats. */
    public static final Pattern TOPICS = Pattern.compile("page-stats(\\.v[0-9]+)?");
    /** The consumer group; its committed offsets say what is applied. */
    public static final String GROUP = "tally-view";
    /** Keys that may wait for the write in flight before the loop stops polling. */
    static final int MAX_PENDING_KEYS = 50_000;
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    private static final Duration BUSY_POLL = Duration.ofMillis(5);
    /** How long a rebalance or a shutdown waits for a write before leaving what was read to be read again. */
    private static final Duration FLUSH_LIMIT = Duration.ofSeconds(10);

    private final PageWindowRepository repository;
    private final ServingVersions serving;
    private final ObjectMapper json;
    private final String bootstrapServers;
    private final Counter applied;
    private final Counter stale;
    private final Counter retired;
    private final Counter unreadable;
    private final Timer delay;
    private final Timer write;
    private volatile boolean running = true;
    private volatile long lastPollMillis;
    private Thread thread;
    private KafkaConsumer<String, byte[]> consumer;

    @Inject
    public PageStatsConsumer(PageWindowRepository repository, ServingVersions serving, ObjectMapper json,
                             MeterRegistry registry,
                             @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.repository = repository;
        this.serving = serving;
        this.json = json;
        this.bootstrapServers = bootstrapServers;
        this.applied = registry.counter("tally.view.results.applied");
        this.stale = registry.counter("tally.view.results.ignored", "reason", "not-newer");
        this.retired = registry.counter("tally.view.results.ignored", "reason", "retired-view-version");
        this.unreadable = registry.counter("tally.view.results.ignored", "reason", "unreadable");
        this.delay = Timer.builder("tally.view.results.delay")
                .description("From a result's emitted_at (stage 2 made it, before its commit and publish) until "
                        + "the statement that applied it here ended; results read again after a restart count from "
                        + "their first emitted_at")
                .publishPercentiles(0.5, 0.9, 0.99).register(registry);
        this.write = Timer.builder("tally.view.results.write")
                .description("How long the statements that write what was read during the last write took, "
                        + "retries included")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void start(@Observes StartupEvent started) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, GROUP + "-" + ProcessHandle.current().pid());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        // a replay's new topic is seen within seconds
        config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2_000);
        // a consumer killed without leaving the group is noticed within 10 s, so its partitions move on quickly
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        // values as bytes: Jackson reads their UTF-8 as it came, without a String decoded first
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "tally-view-page-stats");
        thread.setDaemon(true);
        thread.start();
    }

    @PreDestroy
    void stop() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
            try {
                thread.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the loop is polling: it did within the last 30 s (a write waiting for the database holds it). */
    public boolean polling() {
        return thread != null && thread.isAlive() && System.currentTimeMillis() - lastPollMillis < 30_000;
    }

    /** What was read and not written yet: the newest result of each key per view version, and the offsets. */
    private final class Pending {
        final Map<Integer, Map<String, WindowResult>> newest = new TreeMap<>();
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        int considered;
        int keys;

        boolean isEmpty() {
            return offsets.isEmpty();
        }

        void add(ConsumerRecords<String, byte[]> records) {
            int current = serving.current();
            for (TopicPartition partition : records.partitions()) {
                List<ConsumerRecord<String, byte[]>> read = records.records(partition);
                offsets.put(partition, new OffsetAndMetadata(read.get(read.size() - 1).offset() + 1));
                int version = ViewVersions.versionOf(partition.topic());
                if (version < current) {
                    retired.increment(read.size());
                    continue;
                }
                Map<String, WindowResult> byKey = newest.computeIfAbsent(version, v -> new LinkedHashMap<>());
                for (ConsumerRecord<String, byte[]> record : read) {
                    WindowResult result;
                    try {
                        result = json.readValue(record.value(), WindowResult.class);
                    } catch (Exception e) {
                        unreadable.increment();
                        LOG.warnf("a %s record is not a window result, skipped: %s", record.topic(),
                                e.getMessage());
                        continue;
                    }
                    if (result.pageId() == null || result.window() == null) {
                        unreadable.increment();
                        LOG.warnf("a %s record without page_id or window, skipped: %s", record.topic(),
                                new String(record.value(), StandardCharsets.UTF_8));
                        continue;
                    }
                    considered++;
                    int before = byKey.size();
                    byKey.merge(result.key(), result, (a, b) -> a.version() >= b.version() ? a : b);
                    keys += byKey.size() - before;
                }
            }
        }
    }

    private Pending pending = new Pending();
    /** The write in flight and what it writes (with the offsets it covers), or null. */
    private CompletableFuture<Void> inFlight;
    private Pending inFlightBatch;

    private void run() {
        try {
            consumer.subscribe(TOPICS, new Flush());
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(inFlight != null ? BUSY_POLL : IDLE_POLL);
                    lastPollMillis = System.currentTimeMillis();
                    if (!records.isEmpty()) {
                        pending.add(records);
                    }
                    if (inFlight != null && (inFlight.isDone() || pending.keys >= MAX_PENDING_KEYS)) {
                        finishInFlight(null);
                    }
                    if (inFlight == null && !pending.isEmpty()) {
                        inFlightBatch = pending;
                        pending = new Pending();
                        inFlight = write(inFlightBatch).subscribeAsCompletionStage();
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a commit or poll failed (the broker is away): read again from what is committed
                    LOG.warnf("reading page-stats failed, reading again from the committed offsets in 1 s: %s",
                            e.toString());
                    abandon();
                    consumer.unsubscribe();
                    Thread.sleep(1_000);
                    consumer.subscribe(TOPICS, new Flush());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                flush();
            } catch (RuntimeException e) {
                LOG.debugf("writing what was read before closing failed: %s", e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Forgets what was read and not committed (it is read again from the committed offsets), after the write in
     * flight is done or has given up: two writes of the same keys at once would only contend for their rows.
     */
    private void abandon() {
        try {
            finishInFlight(FLUSH_LIMIT);
        } catch (RuntimeException e) {
            LOG.debugf("the page-stats write in flight did not end: %s", e.toString());
        }
        inFlight = null;
        inFlightBatch = null;
        pending = new Pending();
    }

    /** Waits for the write in flight, if any, at most {@code limit} (null: as long as it takes), then commits it. */
    private void finishInFlight(Duration limit) {
        if (inFlight == null) {
            return;
        }
        try {
            if (limit == null) {
                inFlight.join();
            } else {
                inFlight.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CompletionException(e);
        }
        inFlight = null;
        consumer.commitSync(inFlightBatch.offsets);
        inFlightBatch = null;
    }

    /**
     * Writes and commits everything read so far, waiting at most {@link #FLUSH_LIMIT} for each write (the database
     * may be away, and a rebalance or a shutdown must not wait for it); what is not written then is not committed
     * either, and whoever reads these partitions next reads it again.
     */
    private void flush() {
        try {
            finishInFlight(FLUSH_LIMIT);
            if (!pending.isEmpty()) {
                Pending last = pending;
                pending = new Pending();
                write(last).await().atMost(FLUSH_LIMIT);
                consumer.commitSync(last.offsets);
            }
        } catch (RuntimeException e) {
            LOG.warnf("page-stats read but not written in %d s are left to be read again: %s",
                    FLUSH_LIMIT.toSeconds(), e.toString());
            abandon();
        }
    }

    /** Before partitions move to another member: what was read of them is written and committed here. */
    private final class Flush implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            flush();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    }

    private Uni<Void> write(Pending batch) {
        long started = System.nanoTime();
        Uni<Integer> changed = Uni.createFrom().item(0);
        for (Map.Entry<Integer, Map<String, WindowResult>> version : batch.newest.entrySet()) {
            List<WindowResult> results = List.copyOf(version.getValue().values());
            changed = changed.flatMap(before -> repository.applyIfNewer(version.getKey(), results)
                    .onFailure().invoke(e -> LOG.warnf("applying %d page-stats records of view version %d failed, "
                            + "retrying: %s", results.size(), version.getKey(), e.toString()))
                    .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                    .map(rows -> before + rows));
        }
        return changed.invoke(rows -> {
            if (!batch.newest.isEmpty()) {
                long took = System.nanoTime() - started;
                write.record(took, TimeUnit.NANOSECONDS);
                LOG.debugf("page-stats write: %d results of the versions served or coming read, %d keys written, "
                        + "%d rows changed, in %d ms", batch.considered, batch.keys, rows,
                        TimeUnit.NANOSECONDS.toMillis(took));
            }
            applied.increment(rows);
            stale.increment(batch.considered - rows);
            long now = System.currentTimeMillis();
            batch.newest.values().forEach(results -> results.values().forEach(result -> {
                if (result.emittedAt() != null) {
                    delay.record(Math.max(0, now - result.emittedAt().toEpochMilli()), TimeUnit.MILLISECONDS);
                }
            }));
        }).replaceWithVoid();
    }
}
