package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The lag of each partition owned here, per stage, as {@code tally.aggregator.lag{stage, partition}}: records of
 * the topic after the offset last committed with the state (Kafka's own consumer lag counts from the fetch position,
 * which runs ahead of what is committed). Refreshed every 5 s from the partitions' end offsets; NaN for a partition
 * not owned here.
 */
@ApplicationScoped
public class ConsumerLag {
    private static final Logger LOG = Logger.getLogger(ConsumerLag.class);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    StageOne stageOne;

    @Inject
    StageTwo stageTwo;

    @Inject
    MeterRegistry registry;

    private Admin admin;
    private final Map<String, Double> lags = new ConcurrentHashMap<>();

    @Scheduled(every = "5s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        try {
            if (admin == null) {
                Map<String, Object> config = new HashMap<>();
                config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
                admin = Admin.create(config);
            }
            refresh(StageOne.STAGE, Topics.CLICKS, stageOne.committedOffsets());
            refresh(StageTwo.STAGE, Topics.PAGE_PARTIALS, stageTwo.committedOffsets());
        } catch (Exception e) {
            LOG.debugf("consumer lag not refreshed: %s", e.toString());
        }
    }

    private void refresh(String stage, String topic, Map<Integer, Long> committed) throws Exception {
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        committed.keySet().forEach(p -> wanted.put(new TopicPartition(topic, p), OffsetSpec.latest()));
        var ends = admin.listOffsets(wanted).all().get(10, TimeUnit.SECONDS);
        lags.keySet().removeIf(key -> key.startsWith(stage + "/") && !committed.containsKey(partitionOf(key)));
        committed.forEach((partition, offset) -> {
            long end = ends.get(new TopicPartition(topic, partition)).offset();
            String key = stage + "/" + partition;
            if (lags.put(key, (double) Math.max(0, end - offset)) == null) {
                Gauge.builder("tally.aggregator.lag", lags, l -> l.getOrDefault(key, Double.NaN))
                        .tag("stage", stage).tag("partition", Integer.toString(partition))
                        .description("records after the offset committed with the state").register(registry);
            }
        });
    }

    private static int partitionOf(String key) {
        return Integer.parseInt(key.substring(key.indexOf('/') + 1));
    }

    void stop(@Observes ShutdownEvent event) {
        if (admin != null) {
            admin.close();
        }
    }
}
