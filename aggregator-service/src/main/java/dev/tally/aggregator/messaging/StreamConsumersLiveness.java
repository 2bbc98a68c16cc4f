package dev.tally.aggregator.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import java.util.List;

/**
 * Down once a stage's consumer thread has ended on an error it could not get over: the replica then holds its
 * partitions and reads nothing more of them, and only a restart (Kubernetes acts on liveness) gives them back.
 */
@Liveness
@ApplicationScoped
public class StreamConsumersLiveness implements HealthCheck {

    @Inject
    StreamEngines engines;

    @Override
    public HealthCheckResponse call() {
        List<String> failures = engines.running().stream().flatMap(e -> e.failures().stream()).toList();
        var response = HealthCheckResponse.named("stream-consumers").status(failures.isEmpty());
        for (int i = 0; i < failures.size(); i++) {
            response.withData("failure-" + (i + 1), failures.get(i));
        }
        return response.build();
    }
}
