package dev.tally.aggregator.messaging;

import dev.tally.aggregator.store.DailyCountsRepository;
import dev.tally.contracts.Topics;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * On every assignment, moves the consumer to the offsets stored with the counts, so that a restarted or
 * rebalanced consumer resumes exactly after the last committed batch. Runs on the Kafka polling thread, where
 * waiting for the database is allowed.
 */
@ApplicationScoped
@Identifier(StoredOffsetsRebalanceListener.NAME)
public class StoredOffsetsRebalanceListener implements KafkaConsumerRebalanceListener {
    private static final Logger LOG = Logger.getLogger(StoredOffsetsRebalanceListener.class);
    /** The name the {@code clicks} channel refers to in its configuration. */
    public static final String NAME = "clicks-stored-offsets";

    @Inject
    DailyCountsRepository repository;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<Integer, Long> stored = repository.storedOffsets(Topics.CLICKS,
                        partitions.stream().map(TopicPartition::partition).toList())
                .await().atMost(Duration.ofSeconds(60));
        for (TopicPartition partition : partitions) {
            Long offset = stored.get(partition.partition());
            if (offset == null) {
                consumer.seekToBeginning(List.of(partition));
            } else {
                consumer.seek(partition, offset);
            }
        }
        LOG.infof("assigned %s, resuming at stored offsets %s", partitions, stored);
    }
}
