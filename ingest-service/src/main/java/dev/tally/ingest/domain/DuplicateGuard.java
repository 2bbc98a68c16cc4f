package dev.tally.ingest.domain;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the event ids this ingest replica wrote to Kafka within a horizon, so that a client's retry is
 * answered "duplicate" instead of being written again. An id whose first write is still in flight makes a second
 * attempt wait for the first one's outcome: if the first fails, the second is not called a duplicate.
 * The memory is per replica and bounded; the aggregator drops whatever repeats get past it.
 */
public final class DuplicateGuard {
    private final Cache<String, Boolean> written;
    private final ConcurrentHashMap<String, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();

    public DuplicateGuard(Duration horizon, long maxIds) {
        this.written = Caffeine.newBuilder().expireAfterWrite(horizon).maximumSize(maxIds).build();
    }

    /** The caller's standing for an id. */
    public sealed interface Claim permits Owner, Duplicate, Pending {
    }

    /** The caller writes the event and must {@link #settle} the claim with the outcome. */
    public record Owner(String eventId, CompletableFuture<Boolean> outcome) implements Claim {
    }

    /** The event was written already. */
    public record Duplicate() implements Claim {
    }

    /** Another request is writing the event: its outcome, true once written. */
    public record Pending(CompletionStage<Boolean> outcome) implements Claim {
    }

    public Claim claim(String eventId) {
        if (written.getIfPresent(eventId) != null) {
            return new Duplicate();
        }
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> theirs = inFlight.putIfAbsent(eventId, mine);
        if (theirs != null) {
            return new Pending(theirs);
        }
        if (written.getIfPresent(eventId) != null) { // written between the first look and the claim
            inFlight.remove(eventId, mine);
            mine.complete(true);
            return new Duplicate();
        }
        return new Owner(eventId, mine);
    }

    /** Records the outcome of an owned claim. */
    public void settle(Owner owner, boolean writtenToLog) {
        if (writtenToLog) {
            written.put(owner.eventId(), Boolean.TRUE);
        }
        inFlight.remove(owner.eventId(), owner.outcome());
        owner.outcome().complete(writtenToLog);
    }

    /** Ids remembered now (approximate). */
    public long size() {
        return written.estimatedSize();
    }
}
