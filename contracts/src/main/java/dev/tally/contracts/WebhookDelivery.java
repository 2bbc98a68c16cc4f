package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One alert transition to deliver to one endpoint, as queued on {@link Queues#WEBHOOK_DELIVERIES}, version 1.
 *
 * @param deliveryId unique per (transition, endpoint): the webhook's idempotency key for its receiver
 * @param endpoint   the URL to POST to
 * @param alert      the transition, sent as the request body
 */
public record WebhookDelivery(
        @JsonProperty("delivery_id") String deliveryId,
        @JsonProperty("endpoint") String endpoint,
        @JsonProperty("alert") AlertEvent alert) {

    /** The value of the {@code tally-schema-version} application property for this message type. */
    public static final int SCHEMA_VERSION = 1;
}
