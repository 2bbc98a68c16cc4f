package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The partition counts of {@code clicks} and {@code page-partials}: stage 2 waits for the watermark of every
 * clicks partition, and stage 1 sends its watermark to every page-partials partition.
 */
@ApplicationScoped
public class TopicLayout {
    private volatile Map<String, Integer> partitions;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    public int clicksPartitions() {
        return counts().get(Topics.CLICKS);
    }

    public int pagePartialsPartitions() {
        return counts().get(Topics.PAGE_PARTIALS);
    }

    private Map<String, Integer> counts() {
        Map<String, Integer> known = partitions;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (partitions == null) {
                Map<String, Object> config = new HashMap<>();
                config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
                try (Admin admin = Admin.create(config)) {
                    Map<String, TopicDescription> topics = admin.describeTopics(List.of(Topics.CLICKS,
                            Topics.PAGE_PARTIALS)).allTopicNames().get(30, TimeUnit.SECONDS);
                    Map<String, Integer> counts = new HashMap<>();
                    topics.forEach((name, description) -> counts.put(name, description.partitions().size()));
                    partitions = counts;
                } catch (Exception e) {
                    throw new IllegalStateException("cannot describe the clicks and page-partials topics", e);
                }
            }
            return partitions;
        }
    }
}
