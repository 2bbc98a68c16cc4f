package dev.tally.contracts;

import java.util.List;

/**
 * AMQP addresses on ActiveMQ Artemis. Each is a work queue (ANYCAST): competing consumers share its messages
 * instead of each getting a copy.
 */
public final class Queues {
    /** Batch work shared across aggregator workers. */
    public static final String RECOMPUTE_TASKS = "recompute-tasks";
    /** One message per (alert transition, endpoint). */
    public static final String WEBHOOK_DELIVERIES = "webhook-deliveries";
    /** Where a webhook delivery lands after its last attempt. */
    public static final String WEBHOOK_DELIVERIES_DLQ = "webhook-deliveries.dlq";

    /** Delivery attempts of a webhook message before the broker dead-letters it. */
    public static final int WEBHOOK_MAX_ATTEMPTS = 8;

    /** Every queue Tally uses. */
    public static final List<String> ALL = List.of(RECOMPUTE_TASKS, WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES_DLQ);

    private Queues() {
    }
}
