package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lag of each partition owned here, per view version and stage, as
 * {@code tally.aggregator.lag{view_version, stage, partition}}: records of the topic after the offset last
 * committed with the state (Kafka's own consumer lag counts from the fetch position, which runs ahead of what is
 * committed). Refreshed every 5 s from the partitions' end offsets; NaN for a partition not owned here.
 */
@ApplicationScoped
public class ConsumerLag {
    private static final Logger LOG = Logger.getLogger(ConsumerLag.class);

    @Inject
    StreamEngines engines;

    @Inject
    TopicLayout topics;

    @Inject
    MeterRegistry registry;

    private final Map<String, Double> lags = new ConcurrentHashMap<>();

    @Scheduled(every = "5s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        Set<String> current = new HashSet<>();
        Map<String, Map<Integer, Long>> ends = new HashMap<>(); // clicks once, however many versions read it
        for (StreamEngine engine : engines.running()) {
            ViewVersion version = engine.version();
            try {
                refresh(version, StageOne.STAGE, Topics.CLICKS, engine.committedClicks(), ends, current);
                refresh(version, StageTwo.STAGE, version.pagePartials(), engine.committedPartials(), ends, current);
            } catch (RuntimeException e) {
                LOG.debugf("consumer lag of view version %d not refreshed: %s", version.number(), e.toString());
            }
        }
        lags.keySet().retainAll(current);
    }

    private void refresh(ViewVersion version, String stage, String topic, Map<Integer, Long> committed,
                         Map<String, Map<Integer, Long>> endOffsets, Set<String> current) {
        if (committed.isEmpty()) {
            return;
        }
        Map<Integer, Long> ends = endOffsets.computeIfAbsent(topic, topics::endOffsets);
        committed.forEach((partition, offset) -> {
            String key = version.tag() + "/" + stage + "/" + partition;
            current.add(key);
            if (lags.put(key, (double) Math.max(0, ends.getOrDefault(partition, offset) - offset)) == null) {
                Gauge.builder("tally.aggregator.lag", lags, l -> l.getOrDefault(key, Double.NaN))
                        .tag("view_version", version.tag()).tag("stage", stage)
                        .tag("partition", Integer.toString(partition))
                        .description("records after the offset committed with the state").register(registry);
            }
        });
    }
}
