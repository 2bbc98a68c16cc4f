package dev.tally.alerting.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.alerting.AlertingConfig;
import dev.tally.alerting.store.AlertRepository;
import dev.tally.contracts.AlertEvent;
import dev.tally.contracts.WebhookDelivery;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;

/**
 * Enqueues one {@link WebhookDelivery} per (alert, endpoint) on the AMQP work queue, then marks the alert
 * enqueued: the outbox. The sweeper enqueues what a crash or a broker outage left behind; the delivery id stays
 * the same, so a receiver can drop a repeat.
 */
@ApplicationScoped
public class DeliveryPublisher {
    private static final Logger LOG = Logger.getLogger(DeliveryPublisher.class);
    /** Channel of the {@code webhook-deliveries} queue, outgoing side. */
    public static final String DELIVERIES_OUT = "webhook-deliveries-out";
    private static final Duration SWEEP_AGE = Duration.ofSeconds(10);

    @Inject
    @Channel(DELIVERIES_OUT)
    MutinyEmitter<String> deliveries;

    @Inject
    AlertRepository alerts;

    @Inject
    AlertingConfig config;

    @Inject
    ObjectMapper json;

    /** Enqueues the deliveries of {@code alert} and marks it enqueued. */
    public Uni<Void> enqueue(AlertEvent alert) {
        Uni<Void> send = config.webhookUrl()
                .map(url -> deliveries.sendMessage(Message.of(write(new WebhookDelivery(
                                alert.fingerprint() + ":" + Integer.toHexString(url.hashCode()), url, alert)))
                        .addMetadata(OutgoingAmqpMetadata.builder().withDurable(true).build())))
                .orElseGet(() -> Uni.createFrom().voidItem());
        return send.chain(() -> Panache.withTransaction(() -> alerts.markEnqueued(alert.fingerprint())));
    }

    @Scheduled(every = "${tally.alerting.outbox-sweep-interval:5s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return Panache.withSession(() -> alerts.notEnqueued(Instant.now().minus(SWEEP_AGE), 500))
                .onItem().transformToMulti(list -> io.smallrye.mutiny.Multi.createFrom().iterable(list))
                .onItem().transformToUniAndConcatenate(alert -> {
                    LOG.infof("enqueueing the deliveries of alert %s left in the outbox", alert.fingerprint);
                    return enqueue(AlertRepository.toEvent(alert));
                })
                .collect().last()
                .onFailure().invoke(e -> LOG.warnf("outbox sweep failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    private String write(WebhookDelivery delivery) {
        try {
            return json.writeValueAsString(delivery);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }
}
