package dev.tally.aggregator.batch;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How batch runs over the {@code clicks} topic read it and share their work. */
@ConfigMapping(prefix = "tally.batch")
public interface BatchConfig {

    /**
     * Tasks one replica runs at the same time (receivers on the queue; read by
     * {@code mp.messaging.incoming.recompute-tasks-in.concurrency}).
     */
    @WithDefault("2")
    int workers();

    /** Attempts of one task (a failure or a dead worker each count one) before its run fails. */
    @WithDefault("5")
    int maxAttempts();

    /** Records per poll of a task's consumer ({@code max.poll.records}). */
    @WithDefault("20000")
    int maxPollRecords();

    /** Bytes per fetch of a task's consumer from one partition ({@code max.partition.fetch.bytes}). */
    @WithDefault("16777216")
    int maxPartitionFetchBytes();

    /** How often a running task logs its progress and records it for {@code GET /admin/batch-runs/{id}}. */
    @WithDefault("PT2S")
    Duration progressInterval();

    /** A task that reads nothing for this long while records remain before its horizon fails (and is retried). */
    @WithDefault("PT60S")
    Duration stallTimeout();

    /** How long a failed task waits before it goes back to the broker, times its attempt number. */
    @WithDefault("PT1S")
    Duration retryBackoff();
}
