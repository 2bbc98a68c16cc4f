package dev.tally.ingest.domain;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per write key: {@code eventsPerSecond} on average, bursts up to one second's worth. Zero turns
 * the limit off.
 */
public final class RateLimiter {
    private final double eventsPerSecond;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double eventsPerSecond) {
        this.eventsPerSecond = eventsPerSecond;
    }

    private static final class Bucket {
        private double tokens;
        private long refilledAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }
    }

    /** Takes {@code events} tokens from the bucket of {@code key}; false (and nothing taken) if there are too few. */
    public boolean tryTake(String key, int events, long nowNanos) {
        if (eventsPerSecond <= 0) {
            return true;
        }
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(eventsPerSecond, nowNanos));
        synchronized (bucket) {
            double elapsed = (nowNanos - bucket.refilledAt) / 1e9;
            bucket.tokens = Math.min(eventsPerSecond, bucket.tokens + elapsed * eventsPerSecond);
            bucket.refilledAt = nowNanos;
            if (bucket.tokens < events) {
                return false;
            }
            bucket.tokens -= events;
            return true;
        }
    }
}
