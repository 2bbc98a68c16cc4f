package dev.tally.alerting.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.alerting.AlertingConfig;
import dev.tally.contracts.WebhookDelivery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Takes webhook deliveries from the AMQP work queue, competing with every other alerting replica, and POSTs each
 * to its endpoint. A failed request nacks the message (modified-failed): the broker redelivers it with
 * exponential backoff and dead-letters it to {@code webhook-deliveries.dlq} after its last attempt.
 */
@ApplicationScoped
public class WebhookWorker {
    private static final Logger LOG = Logger.getLogger(WebhookWorker.class);
    /** Channel of the {@code webhook-deliveries} queue, incoming side. */
    public static final String DELIVERIES_IN = "webhook-deliveries-in";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json;
    private final AlertingConfig config;
    private final Counter delivered;
    private final Counter failed;

    @Inject
    public WebhookWorker(ObjectMapper json, AlertingConfig config, MeterRegistry registry) {
        this.json = json;
        this.config = config;
        this.delivered = registry.counter("tally.alerting.webhooks.delivered");
        this.failed = registry.counter("tally.alerting.webhooks.failed");
    }

    @Incoming(DELIVERIES_IN)
    public Uni<Void> deliver(String message) {
        WebhookDelivery delivery;
        String body;
        try {
            delivery = json.readValue(message, WebhookDelivery.class);
            body = json.writeValueAsString(delivery.alert());
        } catch (Exception e) {
            // retrying cannot fix a message that does not parse: drop it loudly instead of poisoning the queue
            LOG.errorf("a webhook delivery message is unreadable, dropped: %s", e.getMessage());
            return Uni.createFrom().voidItem();
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(delivery.endpoint()))
                .timeout(config.webhookTimeout())
                .header("Content-Type", "application/json")
                .header("webhook-id", delivery.deliveryId())
                .header("webhook-timestamp", Long.toString(System.currentTimeMillis() / 1000))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return Uni.createFrom().completionStage(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                .flatMap(response -> {
                    if (response.statusCode() / 100 == 2) {
                        delivered.increment();
                        LOG.infof("delivered %s to %s (%d)", delivery.deliveryId(), delivery.endpoint(),
                                response.statusCode());
                        return Uni.createFrom().voidItem();
                    }
                    return Uni.createFrom().failure(new IllegalStateException(delivery.endpoint() + " answered "
                            + response.statusCode()));
                })
                .onFailure().invoke(e -> {
                    failed.increment();
                    LOG.warnf("delivery %s failed, the broker will retry it: %s", delivery.deliveryId(),
                            e.getMessage());
                });
    }
}
