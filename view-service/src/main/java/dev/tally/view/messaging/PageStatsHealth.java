package dev.tally.view.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the page-stats consumer polls (a write that waits for the database for 30 s holds it). */
@Readiness
@ApplicationScoped
public class PageStatsHealth implements HealthCheck {

    @Inject
    PageStatsConsumer consumer;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("page-stats-consumer").status(consumer.polling()).build();
    }
}
