package dev.tally.aggregator.messaging;

import dev.tally.aggregator.AggregatorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the stream engine of the serving view version runs here (or the stream is off on this replica). */
@Readiness
@ApplicationScoped
public class StreamEnginesHealth implements HealthCheck {

    @Inject
    AggregatorConfig config;

    @Inject
    StreamEngines engines;

    @Override
    public HealthCheckResponse call() {
        if (!config.streamEnabled()) {
            return HealthCheckResponse.named("stream-engines").up().withData("stream", "off").build();
        }
        var running = engines.running().stream().map(e -> Integer.toString(e.version().number())).toList();
        return HealthCheckResponse.named("stream-engines").status(!running.isEmpty())
                .withData("view_versions", String.join(",", running)).build();
    }
}
