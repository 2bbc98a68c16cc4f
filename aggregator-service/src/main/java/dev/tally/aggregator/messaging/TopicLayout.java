package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * What the stream engine needs to know about its topics, and the topics a view version adds: partition counts
 * (stage 2 waits for the watermark of every clicks partition, stage 1 sends its watermark to every page-partials
 * partition), end offsets (for lag and for a replay's catch-up), and creating and deleting a version's topics.
 */
@ApplicationScoped
public class TopicLayout {
    private final Map<String, Integer> partitions = new ConcurrentHashMap<>();
    private volatile Admin admin;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    /** The partition count of {@code topic} (asked once). */
    public int partitions(String topic) {
        return partitions.computeIfAbsent(topic, name -> {
            try {
                return admin().describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name)
                        .partitions().size();
            } catch (Exception e) {
                throw new IllegalStateException("cannot describe topic " + name, e);
            }
        });
    }

    /** The end offset of every partition of {@code topic}, by partition. */
    public Map<Integer, Long> endOffsets(String topic) {
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        for (int p = 0; p < partitions(topic); p++) {
            wanted.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try {
            Map<Integer, Long> ends = new TreeMap<>();
            admin().listOffsets(wanted).all().get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
            return ends;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /** Creates the topics of view {@code version} that do not exist yet, laid out like version 1's. */
    public void create(int version) {
        int clicks = partitions(Topics.CLICKS);
        List<NewTopic> topics = Topics.ofVersion(version, clicks).stream()
                .map(spec -> new NewTopic(spec.name(), spec.partitions(), (short) 1).configs(spec.configs()))
                .toList();
        admin().createTopics(topics).values().forEach((name, created) -> {
            try {
                created.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name, e.getCause());
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot create topic " + name, e);
            }
        });
    }

    /** Deletes the topics of view {@code version} (those that exist). */
    public void delete(int version) {
        List<String> names = Topics.ofVersion(version, 1).stream().map(Topics.Spec::name).toList();
        admin().deleteTopics(names).topicNameValues().forEach((name, deleted) -> {
            try {
                deleted.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new IllegalStateException("cannot delete topic " + name, e.getCause());
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot delete topic " + name, e);
            }
            partitions.remove(name);
        });
    }

    private Admin admin() {
        Admin known = admin;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            if (admin == null) {
                Map<String, Object> config = new HashMap<>();
                config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
                admin = Admin.create(config);
            }
            return admin;
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (admin != null) {
            admin.close();
        }
    }
}
