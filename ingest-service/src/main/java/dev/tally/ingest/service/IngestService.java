package dev.tally.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.InvalidEvent;
import dev.tally.contracts.InvalidEvent.FieldError;
import dev.tally.ingest.IngestConfig;
import dev.tally.ingest.domain.Admission;
import dev.tally.ingest.domain.BatchParser.Item;
import dev.tally.ingest.domain.DuplicateGuard;
import dev.tally.ingest.domain.EventValidator;
import dev.tally.ingest.domain.RateLimiter;
import dev.tally.ingest.domain.ValidationRules;
import dev.tally.ingest.domain.Violation;
import dev.tally.ingest.messaging.ClickLog;
import dev.tally.ingest.messaging.ClickPublisher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The ingestion flow for a request's events: rate limit, admission, validation, deduplication by event id, the
 * writes to {@code clicks} (each answered only once Kafka acknowledged it) and to {@code clicks.invalid}, and one
 * result per event.
 */
@ApplicationScoped
public class IngestService {
    private static final Logger LOG = Logger.getLogger(IngestService.class);

    private final ClickPublisher publisher;
    private final ClickLog log;
    private final IngestConfig config;
    private final EventValidator validator;
    private final DuplicateGuard duplicates;
    private final RateLimiter rateLimiter;
    private final Admission admission;
    private final MeterRegistry registry;
    private final Counter accepted;
    private final Counter duplicated;
    private final Counter unavailable;
    private final Counter rateLimited;
    private final Counter badRowsUnrecorded;
    private final DistributionSummary batchSize;
    private final Timer produceLatency;
    private final ConcurrentHashMap<String, Counter> rejectedByReason = new ConcurrentHashMap<>();

    @Inject
    public IngestService(ClickPublisher publisher, ClickLog log, IngestConfig config, MeterRegistry registry) {
        this.publisher = publisher;
        this.log = log;
        this.config = config;
        this.registry = registry;
        this.validator = new EventValidator(new ValidationRules(config.maxClockSkew(), config.maxFuture(),
                config.maxAge(), config.maxEventBytes(), config.maxAttrs(), config.maxAttrLength(),
                config.types().map(Set::copyOf).orElse(Set.of())));
        this.duplicates = new DuplicateGuard(config.dedupHorizon(), config.dedupMaxIds());
        this.rateLimiter = new RateLimiter(config.rateLimit());
        this.admission = new Admission(config.maxInFlight());
        this.accepted = registry.counter("tally.ingest.events.accepted");
        this.duplicated = registry.counter("tally.ingest.events.duplicates");
        this.unavailable = registry.counter("tally.ingest.requests.unavailable");
        this.rateLimited = registry.counter("tally.ingest.requests.rate_limited");
        this.badRowsUnrecorded = registry.counter("tally.ingest.bad_rows.unrecorded");
        this.batchSize = DistributionSummary.builder("tally.ingest.batch.events").baseUnit("events")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.produceLatency = Timer.builder("tally.ingest.produce.latency").publishPercentiles(0.5, 0.99)
                .register(registry);
        Gauge.builder("tally.ingest.records.in_flight", admission, Admission::inFlight).register(registry);
        Gauge.builder("tally.ingest.log.available", admission, a -> a.logAvailable() ? 1 : 0).register(registry);
        Gauge.builder("tally.ingest.dedup.ids", duplicates, DuplicateGuard::size).register(registry);
        FunctionCounter.builder("tally.ingest.dedup.forgotten.early", duplicates, DuplicateGuard::forgottenEarly)
                .description("event ids let go before the dedup horizon because dedup-max-ids was reached")
                .register(registry);
    }

    /** Ingests the events of one request; never fails, the outcome says what happened to each event. */
    public Uni<IngestOutcome> ingest(List<Item> items, Instant receivedAt, String requestId, String key) {
        batchSize.record(items.size());
        long now = System.nanoTime();
        if (!rateLimiter.tryTake(key, items.size(), now)) {
            rateLimited.increment();
            return Uni.createFrom().item(new IngestOutcome(IngestOutcome.Refusal.RATE_LIMITED, List.of()));
        }
        List<EventResult> results = new ArrayList<>(items.size());
        List<ClickEvent> valid = new ArrayList<>();
        List<Integer> validIndex = new ArrayList<>();
        List<InvalidEvent> badRows = new ArrayList<>();
        for (Item item : items) {
            List<Violation> violations;
            ClickEvent event = null;
            if (item.malformed() != null) {
                violations = List.of(item.malformed());
            } else {
                EventValidator.Result result = validator.validate(item.node(), item.rawBytes(), receivedAt);
                violations = result.violations();
                event = result.event();
            }
            if (violations.isEmpty()) {
                valid.add(event);
                validIndex.add(item.index());
                results.add(null); // filled in once written
            } else {
                List<FieldError> errors = violations.stream().map(Violation::toFieldError).toList();
                results.add(EventResult.rejected(item.index(), eventIdOf(item.node()), errors));
                violations.stream().map(Violation::code).distinct().forEach(this::countRejected);
                badRows.add(new InvalidEvent(cut(item.raw()), item.rawBytes(), items.size() == 1 ? null : item.index(),
                        errors, receivedAt, requestId));
            }
        }
        if (!valid.isEmpty()) {
            Admission.Refusal refusal = admission.tryAcquire(valid.size(), now);
            if (refusal != Admission.Refusal.NONE) {
                unavailable.increment();
                return Uni.createFrom().item(new IngestOutcome(IngestOutcome.Refusal.UNAVAILABLE, List.of()));
            }
        }
        if (valid.isEmpty() && badRows.isEmpty()) {
            return Uni.createFrom().item(new IngestOutcome(IngestOutcome.Refusal.NONE, results));
        }
        CompletableFuture<List<EventResult>> written = writeAll(valid, validIndex);
        List<Uni<Void>> recordings = badRows.stream().map(this::recordBadRow).toList();
        Uni<List<Void>> recorded = recordings.isEmpty() ? Uni.createFrom().item(List.of())
                : Uni.join().all(recordings).andFailFast();
        int reserved = valid.size();
        return Uni.combine().all().unis(Uni.createFrom().completionStage(written), recorded).asTuple()
                .onTermination().invoke(() -> {
                    if (reserved > 0) {
                        admission.release(reserved);
                    }
                })
                .map(both -> {
                    for (EventResult result : both.getItem1()) {
                        results.set(result.index(), result);
                    }
                    boolean allWritten = results.stream().noneMatch(r -> r.status().equals(EventResult.UNAVAILABLE));
                    if (!allWritten) {
                        unavailable.increment();
                    }
                    return new IngestOutcome(allWritten ? IngestOutcome.Refusal.NONE
                            : IngestOutcome.Refusal.UNAVAILABLE, results);
                });
    }

    /**
     * Writes the valid events that were not written before, and gives each event its result: accepted once Kafka
     * acknowledged it, duplicate, or unavailable. Plain futures, one per event, and one {@link Uni} per request:
     * this is the hot path.
     */
    private CompletableFuture<List<EventResult>> writeAll(List<ClickEvent> events, List<Integer> slots) {
        List<CompletableFuture<EventResult>> results = new ArrayList<>(events.size());
        List<ClickEvent> owned = new ArrayList<>();
        List<DuplicateGuard.Owner> owners = new ArrayList<>();
        List<Integer> ownedSlots = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            ClickEvent event = events.get(i);
            int slot = slots.get(i);
            DuplicateGuard.Claim claim = duplicates.claim(event.eventId());
            if (claim instanceof DuplicateGuard.Duplicate) {
                duplicated.increment();
                results.add(CompletableFuture.completedFuture(EventResult.of(slot, event.eventId(),
                        EventResult.DUPLICATE)));
            } else if (claim instanceof DuplicateGuard.Pending pending) {
                results.add(pending.outcome().toCompletableFuture().thenApply(writtenBefore -> {
                    if (writtenBefore) {
                        duplicated.increment();
                    }
                    return EventResult.of(slot, event.eventId(), writtenBefore ? EventResult.DUPLICATE
                            : EventResult.UNAVAILABLE);
                }));
            } else {
                owned.add(event);
                owners.add((DuplicateGuard.Owner) claim);
                ownedSlots.add(slot);
            }
        }
        if (!owned.isEmpty()) {
            long started = System.nanoTime();
            List<CompletableFuture<Void>> acks = log.writeAll(owned);
            for (int i = 0; i < owned.size(); i++) {
                ClickEvent event = owned.get(i);
                DuplicateGuard.Owner owner = owners.get(i);
                int slot = ownedSlots.get(i);
                results.add(acks.get(i).orTimeout(config.produceTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .handle((ok, failure) -> {
                            duplicates.settle(owner, failure == null);
                            if (failure != null) {
                                admission.failed(System.nanoTime());
                                LOG.warnf("Kafka did not acknowledge event %s: %s", event.eventId(), failure);
                                return EventResult.of(slot, event.eventId(), EventResult.UNAVAILABLE);
                            }
                            produceLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                            admission.succeeded();
                            accepted.increment();
                            return EventResult.of(slot, event.eventId(), EventResult.ACCEPTED);
                        }));
            }
        }
        return CompletableFuture.allOf(results.toArray(new CompletableFuture[0]))
                .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
    }

    private Uni<Void> recordBadRow(InvalidEvent bad) {
        return Uni.createFrom().deferred(() -> publisher.publishInvalid(bad))
                .ifNoItem().after(config.produceTimeout()).fail()
                .onFailure().recoverWithUni(failure -> {
                    // the client still gets its 400; the row is kept in the log file instead of the topic
                    badRowsUnrecorded.increment();
                    LOG.errorf("request %s: bad row not recorded on clicks.invalid (%s); raw input: %s",
                            bad.requestId(), failure.toString(), bad.raw().length() > 2048
                                    ? bad.raw().substring(0, 2048) + "..." : bad.raw());
                    return Uni.createFrom().voidItem();
                });
    }

    /** False while the last write to Kafka failed and none has succeeded since. */
    public boolean logAvailable() {
        return admission.logAvailable();
    }

    public int recordsInFlight() {
        return admission.inFlight();
    }

    /** Records a body that could not be split into events at all. */
    public Uni<Void> rejectBody(String raw, int rawBytes, Violation violation, Instant receivedAt, String requestId) {
        countRejected(violation.code());
        return recordBadRow(new InvalidEvent(cut(raw), rawBytes, null, List.of(violation.toFieldError()), receivedAt,
                requestId));
    }

    private void countRejected(String code) {
        rejectedByReason.computeIfAbsent(code, c -> registry.counter("tally.ingest.events.rejected", "reason", c))
                .increment();
    }

    private static String eventIdOf(JsonNode node) {
        if (node != null && node.isObject() && node.get("event_id") != null && node.get("event_id").isTextual()) {
            String id = node.get("event_id").asText();
            return id.length() <= EventValidator.MAX_ID_LENGTH ? id : null;
        }
        return null;
    }

    private static String cut(String raw) {
        return raw.length() <= InvalidEvent.MAX_RAW_CHARS ? raw : raw.substring(0, InvalidEvent.MAX_RAW_CHARS);
    }
}
