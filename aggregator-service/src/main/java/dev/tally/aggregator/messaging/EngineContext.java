package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.store.StreamStateRepository;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;

/** What every stream engine of this replica shares: configuration, metrics, the store, the publisher, Kafka. */
record EngineContext(AggregatorConfig config, MeterRegistry registry, StreamStateRepository repository,
                     DerivedPublisher publisher, ObjectMapper json, TopicLayout topics, Map<String, Object> kafka) {

    String bootstrapServers() {
        return String.valueOf(kafka.get("bootstrap.servers"));
    }
}
