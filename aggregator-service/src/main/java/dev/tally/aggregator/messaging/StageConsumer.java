package dev.tally.aggregator.messaging;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Feeds one stage from its input topic on a thread of its own: poll, hand the records to the stage, wait until
 * the stage has committed them, poll again. So at most one batch is in flight per stage, and a slow database slows
 * the polling instead of filling memory. Kafka's offset commits are not used: on every assignment the stage
 * restores each partition's state from its checkpoint and the consumer seeks to the offset stored with it (on this
 * thread, inside {@code poll}, where waiting for the database is allowed).
 */
final class StageConsumer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StageConsumer.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final CheckpointedStage<?, ?> stage;
    private final String topic;
    private final KafkaConsumer<String, String> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    StageConsumer(CheckpointedStage<?, ?> stage, String topic, String group, String bootstrapServers,
                  int maxPollRecords) {
        this.stage = stage;
        this.topic = topic;
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
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
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
                    ConsumerRecords<String, String> records = consumer.poll(POLL);
                    if (!records.isEmpty()) {
                        stage.consume(records).await().indefinitely();
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // a partition's state could not be restored (the database is away): leave the group, so
                    // that no partition is read without its state, and join again
                    LOG.warnf("%s failed reading %s, joining its group again in 1 s: %s", stage.stage, topic,
                            e.toString());
                    consumer.unsubscribe();
                    Thread.sleep(1_000);
                    consumer.subscribe(List.of(topic), new StoredOffsets());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debugf("closing the %s consumer: %s", topic, e.toString());
            }
        }
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
            Map<Integer, Long> offsets = stage.assign(partitions.stream().map(TopicPartition::partition).toList());
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, offsets.get(partition.partition()));
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            stage.revoke(partitions.stream().map(TopicPartition::partition).toList());
        }
        // lost partitions go to onPartitionsRevoked too: ConsumerRebalanceListener's default
    }
}
