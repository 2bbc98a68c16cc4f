package dev.tally.ingest.domain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class DuplicateGuardTest {
    private final DuplicateGuard guard = new DuplicateGuard(Duration.ofMinutes(5), 1000);

    @Test
    void anIdWrittenOnceIsADuplicateAfterwards() {
        DuplicateGuard.Owner owner = assertInstanceOf(DuplicateGuard.Owner.class, guard.claim("e1"));
        guard.settle(owner, true);
        assertInstanceOf(DuplicateGuard.Duplicate.class, guard.claim("e1"));
    }

    @Test
    void aFailedWriteIsForgottenSoTheRetryIsWritten() {
        DuplicateGuard.Owner owner = assertInstanceOf(DuplicateGuard.Owner.class, guard.claim("e2"));
        guard.settle(owner, false);
        assertInstanceOf(DuplicateGuard.Owner.class, guard.claim("e2"));
    }

    @Test
    void aConcurrentAttemptWaitsForTheFirstOutcome() throws Exception {
        DuplicateGuard.Owner owner = assertInstanceOf(DuplicateGuard.Owner.class, guard.claim("e3"));
        DuplicateGuard.Pending pending = assertInstanceOf(DuplicateGuard.Pending.class, guard.claim("e3"));
        CompletableFuture<Boolean> outcome = pending.outcome().toCompletableFuture();
        assertEquals(false, outcome.isDone());
        guard.settle(owner, false);
        assertEquals(false, outcome.get());
    }

    @Test
    void anIdIsForgottenOncePastTheHorizonOnTheGuardsClock() {
        long[] now = {5_000};
        DuplicateGuard timed = new DuplicateGuard(Duration.ofMinutes(5), 1000, () -> now[0]);
        timed.settle(assertInstanceOf(DuplicateGuard.Owner.class, timed.claim("e4")), true);
        now[0] += Duration.ofMinutes(5).toMillis();
        assertInstanceOf(DuplicateGuard.Duplicate.class, timed.claim("e4"));
        now[0] += Duration.ofMinutes(2).toMillis();
        assertInstanceOf(DuplicateGuard.Owner.class, timed.claim("e4"));
    }
}
