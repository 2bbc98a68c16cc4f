package dev.tally.ingest.domain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimiterTest {

    @Test
    void allowsTheRateAndRefillsOverTime() {
        RateLimiter limiter = new RateLimiter(100);
        assertTrue(limiter.tryTake("k", 100, 0));
        assertFalse(limiter.tryTake("k", 1, 0));
        assertTrue(limiter.tryTake("other", 50, 0), "each key has its own bucket");
        assertTrue(limiter.tryTake("k", 50, 500_000_000L));
        assertFalse(limiter.tryTake("k", 1, 500_000_000L));
    }

    @Test
    void zeroMeansNoLimit() {
        assertTrue(new RateLimiter(0).tryTake("k", 1_000_000, 0));
    }
}
