package dev.tally.ingest.domain;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Remembers the event ids this ingest replica wrote to Kafka within a horizon, so that a client's retry is
 * answered "duplicate" instead of being written again. An id whose first write is still in flight makes a second
 * attempt wait for the first one's outcome: if the first fails, the second is not called a duplicate.
 * The memory is per replica and bounded; the aggregator drops whatever repeats get past it.
 */
public final class DuplicateGuard {
    private final WrittenIds written;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();

    public DuplicateGuard(Duration horizon, long maxIds) {
        // a monotonic clock: a step of the wall clock must neither forget every id nor keep them longer
        this(horizon, maxIds, () -> System.nanoTime() / 1_000_000);
    }

    /** With {@code clock} giving the time in milliseconds (from any origin; it must not go back). */
    public DuplicateGuard(Duration horizon, long maxIds, LongSupplier clock) {
        this.written = new WrittenIds(horizon, maxIds);
        this.clock = clock;
    }

    /** The caller's standing for an id. */
    public sealed interface Claim permits Owner, Duplicate, Pending {
    }

    /**
     * The caller writes the event and must {@link #settle} the claim with the outcome. The id's fingerprint is made
     * once, by the claim.
     */
    public record Owner(String eventId, long[] fingerprint, CompletableFuture<Boolean> outcome) implements Claim {
    }

    /** The event was written already. */
    public record Duplicate() implements Claim {
    }

    /** Another request is writing the event: its outcome, true once written. */
    public record Pending(CompletionStage<Boolean> outcome) implements Claim {
    }

    public Claim claim(String eventId) {
        long[] fingerprint = WrittenIds.fingerprint(eventId);
        if (written.contains(fingerprint, clock.getAsLong())) {
            return new Duplicate();
        }
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> theirs = inFlight.putIfAbsent(eventId, mine);
        if (theirs != null) {
            return new Pending(theirs);
        }
        if (written.contains(fingerprint, clock.getAsLong())) { // written between the first look and the claim
            inFlight.remove(eventId, mine);
            mine.complete(true);
            return new Duplicate();
        }
        return new Owner(eventId, fingerprint, mine);
    }

    /** Records the outcome of an owned claim. */
    public void settle(Owner owner, boolean writtenToLog) {
        if (writtenToLog) {
            written.add(owner.fingerprint(), clock.getAsLong());
        }
        inFlight.remove(owner.eventId(), owner.outcome());
        owner.outcome().complete(writtenToLog);
    }

    /** Ids remembered now. */
    public long size() {
        return written.size();
    }

    /** Ids let go before the horizon because the bound was reached. */
    public long forgottenEarly() {
        return written.forgottenEarly();
    }
}
