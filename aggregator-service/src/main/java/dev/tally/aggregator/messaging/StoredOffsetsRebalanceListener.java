package dev.tally.aggregator.messaging;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * On every assignment, restores each partition's state from its checkpoint and moves the consumer to the offset
 * stored with it, so that a restarted or rebalanced stage resumes exactly after its last committed batch. Runs on
 * the Kafka polling thread, where waiting for the database is allowed.
 */
public abstract class StoredOffsetsRebalanceListener implements KafkaConsumerRebalanceListener {

    abstract Map<Integer, Long> assign(List<Integer> partitions);

    abstract void revoke(List<Integer> partitions);

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<Integer, Long> offsets = assign(partitions.stream().map(TopicPartition::partition).toList());
        for (TopicPartition partition : partitions) {
            consumer.seek(partition, offsets.get(partition.partition()));
        }
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        revoke(partitions.stream().map(TopicPartition::partition).toList());
    }

    /** For the clicks channel (stage 1). */
    @ApplicationScoped
    @Identifier("clicks-stored-offsets")
    public static class Clicks extends StoredOffsetsRebalanceListener {
        @Inject
        StageOne stage;

        @Override
        Map<Integer, Long> assign(List<Integer> partitions) {
            return stage.assign(partitions);
        }

        @Override
        void revoke(List<Integer> partitions) {
            stage.revoke(partitions);
        }
    }

    /** For the page-partials channel (stage 2). */
    @ApplicationScoped
    @Identifier("page-partials-stored-offsets")
    public static class PagePartials extends StoredOffsetsRebalanceListener {
        @Inject
        StageTwo stage;

        @Override
        Map<Integer, Long> assign(List<Integer> partitions) {
            return stage.assign(partitions);
        }

        @Override
        void revoke(List<Integer> partitions) {
            stage.revoke(partitions);
        }
    }
}
