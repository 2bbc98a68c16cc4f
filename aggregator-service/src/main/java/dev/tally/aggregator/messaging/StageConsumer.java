package dev.tally.aggregator.messaging;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * Feeds one stage from its input topic on a thread of its own. While the stage commits a batch, this thread goes
 * on polling and parsing into the next one; when the commit is done, everything read meanwhile goes to the stage
 * as one batch. So batches grow with a backlog (fewer, larger commits) and stay small when the load is light,
 * which keeps the latency low. At most one batch is in flight per stage and the next one is bounded
 * ({@code maxBatchRecords}, each partial of a pack counted): a slow database slows the polling instead of filling
 * memory. Kafka's offset commits are not used: on every assignment the stage restores each partition's state from
 * its checkpoint and the consumer seeks to the offset stored with it (on this thread, inside {@code poll}, where
 * waiting for the database is allowed, once the work the stage has queued is done).
 */
final class StageConsumer<R> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StageConsumer.class);
    /** How long a poll waits for records when nothing is in flight or waiting. */
    private static final Duration IDLE_POLL = Duration.ofMillis(200);
    /** How long it waits while a batch is in flight, so that the next one goes soon after the commit. */
    private static final Duration BUSY_POLL = Duration.ofMillis(5);

    private final CheckpointedStage<?, R> stage;
    private final String topic;
    private final int maxBatchRecords;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    /** What ended the thread while it should have gone on; null while it runs (or was closed). */
    private volatile Throwable died;
    /** The batch being committed, or null; only this consumer's thread touches it and {@link #next}. */
    private CompletableFuture<Void> inFlight;
    private CheckpointedStage.Batch<R> next = new CheckpointedStage.Batch<>();

    StageConsumer(CheckpointedStage<?, R> stage, String topic, String group, String bootstrapServers,
                  int maxPollRecords, int maxBatchRecords) {
        this.stage = stage;
        this.topic = topic;
        this.maxBatchRecords = maxBatchRecords;
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + ProcessHandle.current().pid());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        // a consumer killed without leaving the group is noticed within 10 s, so its partitions move on quickly
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "tally-" + group);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new StoredOffsets());
            while (running) {
                try {
                    boolean busy = inFlight != null || !next.isEmpty();
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(busy ? BUSY_POLL : IDLE_POLL);
                    if (!records.isEmpty()) {
                        stage.parseInto(next, records);
                    }
                    if (inFlight != null && (inFlight.isDone() || next.weight() >= maxBatchRecords)) {
                        CompletableFuture<Void> done = inFlight;
                        inFlight = null;
                        done.join(); // a full next batch waits here: no more polling until the stage took it
                    }
                    if (inFlight == null && !next.isEmpty()) {
                        inFlight = stage.consume(next).subscribeAsCompletionStage();
                        next = new CheckpointedStage.Batch<>();
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a partition's state could not be restored (the database is away), or a batch failed: leave
                    // the group, so that no partition is read without its state, and join again
                    LOG.warnf("%s failed reading %s, joining its group again in 1 s: %s", stage.stage, topic,
                            e.toString());
                    awaitInFlight();
                    next = new CheckpointedStage.Batch<>();
                    consumer.unsubscribe();
                    Thread.sleep(1_000);
                    consumer.subscribe(List.of(topic), new StoredOffsets());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // an error the loop could not get over (it rejoins its group after a RuntimeException of a batch): said
            // loudly, and by the liveness check, since the stage reads nothing more here (an OutOfMemoryError ends
            // the whole process instead)
            died = e; // the thread ends here: said once, in the log
            LOG.errorf(e, "%s stopped reading %s", stage.stage, topic);
        } finally {
            awaitInFlight();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debugf("closing the %s consumer: %s", topic, e.toString());
            }
        }
    }

    /** Why this consumer's thread ended while it should have gone on, or null if it did not. */
    String failure() {
        Throwable cause = died;
        return cause == null ? null : stage.stage + " stopped reading " + topic + ": " + cause;
    }

    /** Waits until the batch in flight, if any, is committed (or has failed: it is read again from the store). */
    private void awaitInFlight() {
        try {
            awaitQueued();
        } catch (RuntimeException e) {
            LOG.debugf("a %s batch in flight failed: %s", stage.stage, e.toString());
        }
    }

    /**
     * Waits until the batch in flight and whatever else the stage queued (stage 1's ticks) are done; a failed batch
     * is rethrown, so that the consumer joins its group again and reads from what is committed.
     */
    private void awaitQueued() {
        CompletableFuture<Void> done = inFlight;
        inFlight = null;
        if (done != null) {
            done.join();
        }
        stage.queued().join();
    }

    /** Stops polling and leaves the group; waits for the batch in flight. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class StoredOffsets implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            // restore from what is committed, and forget what was read of them before the seek
            awaitQueued();
            next.drop(numbers(partitions));
            Map<Integer, Long> offsets = stage.assign(numbers(partitions));
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, offsets.get(partition.partition()));
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // the batch in flight and the ticks may still commit them (their next owner restores from after that);
            // what waits in the next batch goes
            awaitQueued();
            next.drop(numbers(partitions));
            stage.revoke(numbers(partitions));
        }
        // lost partitions go to onPartitionsRevoked too: ConsumerRebalanceListener's default
    }

    private static List<Integer> numbers(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::partition).toList();
    }
}
