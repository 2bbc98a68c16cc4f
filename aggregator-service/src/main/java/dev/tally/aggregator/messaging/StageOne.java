package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.SessionWindows;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.domain.WindowSpec;
import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.Checkpoint;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.aggregator.store.StreamStateRepository.PartitionCommit;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.LateClick;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.SessionResult;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stage 1 of the stream engine: consumes {@code clicks} (keyed by user) in micro-batches. Per partition it keeps,
 * in memory, the partial totals of every page in every open window, the users' open sessions and the watermark.
 * Each batch commits, in one transaction, the new state of every partition it touched, the next offset to read,
 * the event ids it counted and the records it produced (page-partials, sessions, clicks.late); only then are the
 * records published, and after them the partition's watermark. Kafka's own offset commits are not used: on every
 * assignment the state is restored from the checkpoint and the consumer seeks to its offset.
 */
@ApplicationScoped
public class StageOne {
    private static final Logger LOG = Logger.getLogger(StageOne.class);
    /** Channel of the {@code clicks} topic. */
    public static final String CLICKS = "clicks";
    static final String STAGE = "stage1";

    /** One partition's state, as in memory and as last committed. */
    static final class PartitionState {
        final PartialWindows windows;
        final SessionWindows sessions;
        long committedOffset;
        byte[] committedState;
        volatile Instant publishedWatermark;
        /** False until what the last owner left in the outbox went out: no watermark before that. */
        volatile boolean watermarkPublished;
        volatile long lastReadMillis = System.currentTimeMillis();
        boolean dirty;

        PartitionState(PartialWindows windows, SessionWindows sessions) {
            this.windows = windows;
            this.sessions = sessions;
        }
    }

    @Inject
    StreamStateRepository repository;

    @Inject
    DerivedPublisher publisher;

    @Inject
    TopicLayout topics;

    @Inject
    ObjectMapper json;

    private final AggregatorConfig config;
    private final List<WindowSpec> specs;
    private final WindowSpec sessionSpec;
    private final Map<Integer, PartitionState> states = new ConcurrentHashMap<>();
    private final Counter counted;
    private final Counter redelivered;
    private final Counter unreadable;
    private final Counter duplicates;
    private final Counter late;
    private final Counter fenced;
    private final Timer commitLatency;
    private final MeterRegistry registry;
    private final Set<Integer> watermarkGauges = ConcurrentHashMap.newKeySet();

    @Inject
    public StageOne(AggregatorConfig config, MeterRegistry registry) {
        this.config = config;
        this.specs = config.windowSpecs();
        this.sessionSpec = specs.stream().filter(s -> s.kind() == WindowSpec.Kind.SESSION).findFirst().orElse(null);
        this.counted = registry.counter("tally.aggregator.events.counted");
        this.redelivered = registry.counter("tally.aggregator.events.skipped", "reason", "already-counted");
        this.unreadable = registry.counter("tally.aggregator.events.skipped", "reason", "unreadable");
        this.duplicates = registry.counter("tally.aggregator.events.skipped", "reason", "duplicate-event-id");
        this.late = registry.counter("tally.aggregator.events.late");
        this.fenced = registry.counter("tally.aggregator.partitions.fenced");
        this.commitLatency = Timer.builder("tally.aggregator.batch.commit").tag("stage", STAGE)
                .publishPercentiles(0.5, 0.99).register(registry);
        this.registry = registry;
        Gauge.builder("tally.aggregator.windows.open", states,
                s -> s.values().stream().mapToInt(p -> p.windows.openWindows()).sum()).tag("stage", STAGE)
                .register(registry);
        LOG.infof("windows: %s", specs);
    }

    /** Restores the partitions' state from their checkpoints; returns the offset to resume each at. */
    Map<Integer, Long> assign(List<Integer> partitions) {
        Map<Integer, Checkpoint> checkpoints = repository.load(STAGE, partitions).await()
                .atMost(Duration.ofSeconds(60));
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        for (int partition : partitions) {
            PartitionState state = newState(partition);
            Checkpoint checkpoint = checkpoints.get(partition);
            if (checkpoint != null) {
                restore(state, checkpoint.state());
                state.committedOffset = checkpoint.nextOffset();
                state.committedState = checkpoint.state();
            } else {
                state.committedState = snapshot(state);
            }
            // what the last owner committed but may not have published goes out before anything new
            List<OutRecord> pending = repository.pending(STAGE, partition).await().atMost(Duration.ofSeconds(60));
            publisher.publish(pending).await().atMost(Duration.ofSeconds(60));
            state.publishedWatermark = state.windows.watermark();
            state.watermarkPublished = true;
            states.put(partition, state);
            offsets.put(partition, state.committedOffset);
            if (watermarkGauges.add(partition)) {
                // event time of the partition's watermark, in seconds since the epoch; NaN while not owned here
                Gauge.builder("tally.aggregator.watermark", states, s -> {
                    PartitionState owned = s.get(partition);
                    Instant watermark = owned == null ? null : owned.publishedWatermark;
                    return watermark == null ? Double.NaN : watermark.toEpochMilli() / 1000.0;
                }).tag("partition", Integer.toString(partition)).baseUnit("seconds").register(registry);
            }
        }
        LOG.infof("stage 1 resumes %s", offsets);
        return offsets;
    }

    void revoke(List<Integer> partitions) {
        partitions.forEach(states::remove);
    }

    @Incoming(CLICKS)
    public Uni<Void> consume(KafkaRecordBatch<String, String> batch) {
        Map<Integer, List<Read>> byPartition = new LinkedHashMap<>();
        for (KafkaRecord<String, String> record : batch.getRecords()) {
            IncomingKafkaRecordMetadata<?, ?> source = record.getMetadata(IncomingKafkaRecordMetadata.class)
                    .orElseThrow();
            byPartition.computeIfAbsent(source.getPartition(), p -> new ArrayList<>())
                    .add(new Read(source.getOffset(), parse(record.getPayload(), source)));
        }
        return Uni.createFrom().deferred(() -> attempt(byPartition))
                .onFailure(StreamStateRepository.FencedException.class).recoverWithUni(e -> {
                    fenced.increment();
                    LOG.warnf("%s; dropping its state until it is assigned here again", e.getMessage());
                    byPartition.keySet().forEach(states::remove);
                    return Uni.createFrom().voidItem();
                })
                .onFailure().invoke(e -> LOG.warnf("a stage 1 batch failed, retrying: %s", e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .call(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private record Read(long offset, ClickEvent event) {
    }

    private Uni<Void> attempt(Map<Integer, List<Read>> byPartition) {
        long started = System.nanoTime();
        Map<Integer, PartitionState> touched = new LinkedHashMap<>();
        List<ClickEvent> fresh = new ArrayList<>();
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        int[] skipped = {0};
        byPartition.forEach((partition, reads) -> {
            PartitionState state = states.get(partition);
            if (state == null) {
                return; // not ours (any more): its new owner reads it from its checkpoint
            }
            state.lastReadMillis = System.currentTimeMillis();
            if (state.dirty) {
                restore(state, state.committedState); // an earlier attempt failed after changing the state
            }
            long next = state.committedOffset;
            for (Read read : reads) {
                if (read.offset() < state.committedOffset) {
                    skipped[0]++;
                    continue;
                }
                if (read.event() != null) {
                    fresh.add(read.event());
                }
                next = Math.max(next, read.offset() + 1);
            }
            if (next > state.committedOffset) {
                touched.put(partition, state);
                nextOffsets.put(partition, next);
            }
        });
        redelivered.increment(skipped[0]);
        if (touched.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<Integer, Instant> watermarks = new java.util.HashMap<>();
        Map<Integer, byte[]> snapshots = new LinkedHashMap<>();
        return repository.commit(STAGE, conn -> repository.firstSeen(conn, fresh).map(unique -> {
                    Set<String> firsts = new HashSet<>();
                    unique.forEach(e -> firsts.add(e.eventId()));
                    duplicates.increment(fresh.size() - unique.size());
                    List<PartitionCommit> commits = new ArrayList<>();
                    touched.forEach((partition, state) -> {
                        state.dirty = true;
                        List<OutRecord> out = new ArrayList<>();
                        for (Read read : byPartition.get(partition)) {
                            if (read.offset() >= state.committedOffset && read.event() != null
                                    && firsts.remove(read.event().eventId())) {
                                apply(state, read.event(), out);
                            }
                        }
                        for (PartialWindows.Update update : state.windows.drain()) {
                            out.add(partial(update));
                        }
                        if (state.sessions != null) {
                            for (SessionWindows.Session session : state.sessions.complete(state.windows.watermark())) {
                                out.add(OutRecord.of(Topics.SESSIONS, session.userId(), null, write(new SessionResult(
                                        session.userId(), session.start(), session.end(), WindowSpec.iso(sessionSpec.gap()),
                                        session.events(), session.pages(), true))));
                            }
                        }
                        byte[] snapshot = snapshot(state);
                        snapshots.put(partition, snapshot);
                        watermarks.put(partition, state.windows.watermark()); // may be null: no event yet
                        commits.add(new PartitionCommit(partition, state.committedOffset, nextOffsets.get(partition),
                                snapshot, state.windows.watermark(), out));
                    });
                    counted.increment(unique.size());
                    return commits;
                }))
                .flatMap(records -> {
                    touched.forEach((partition, state) -> {
                        state.committedOffset = nextOffsets.get(partition);
                        state.committedState = snapshots.get(partition);
                        state.dirty = false;
                    });
                    commitLatency.record(Duration.ofNanos(System.nanoTime() - started));
                    // the records first, then the watermarks that follow them: stage 2 must see both in this order
                    return publisher.publish(records).chain(() -> heartbeat(watermarks));
                });
    }

    private void apply(PartitionState state, ClickEvent event, List<OutRecord> out) {
        Instant watermark = state.windows.watermark();
        List<Window> missed = new ArrayList<>();
        if (state.sessions != null && state.sessions.add(event, watermark).isPresent()) {
            missed.add(new Window(sessionSpec.name(), event.eventTime(), event.eventTime()));
        }
        state.windows.add(event).ifPresent(l -> missed.addAll(l.missed()));
        if (!missed.isEmpty()) {
            late.increment();
            out.add(OutRecord.of(Topics.CLICKS_LATE, event.userId(), null, write(new LateClick(event,
                    "arrived after the watermark (" + watermark + ") passed the end plus grace of " + missed.size()
                            + " of its windows", missed.stream().map(this::ref).toList(), watermark))));
        }
    }

    /**
     * Sends each partition's watermark to every partition of page-partials, saying whether the partition is idle:
     * nothing read from it for the idle timeout. Only a live stage 1 says so; a dead one says nothing, and its
     * partitions keep holding windows back until their new owner catches up.
     */
    private Uni<Void> heartbeat(Map<Integer, Instant> watermarks) {
        List<OutRecord> beats = new ArrayList<>();
        int targets = topics.pagePartialsPartitions();
        long now = System.currentTimeMillis();
        watermarks.forEach((partition, watermark) -> {
            PartitionState state = states.get(partition);
            boolean idle = state != null && now - state.lastReadMillis >= config.idleTimeout().toMillis();
            String value = write(PagePartial.watermark(partition, watermark, idle));
            for (int target = 0; target < targets; target++) {
                beats.add(OutRecord.of(Topics.PAGE_PARTIALS, null, target, value));
            }
        });
        return publisher.send(beats).invoke(() -> watermarks.forEach((partition, watermark) -> {
            PartitionState state = states.get(partition);
            if (state != null) {
                state.publishedWatermark = watermark;
                state.watermarkPublished = true;
            }
        }));
    }

    /** Keeps stage 2 informed while a partition has nothing new: its watermark, as published. */
    @Scheduled(every = "${tally.aggregator.heartbeat-interval:1s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> beat() {
        Map<Integer, Instant> watermarks = new java.util.HashMap<>();
        states.forEach((partition, state) -> {
            if (state.watermarkPublished) {
                watermarks.put(partition, state.publishedWatermark); // null until the partition has an event
            }
        });
        return heartbeat(watermarks).onFailure().recoverWithNull();
    }

    private OutRecord partial(PartialWindows.Update update) {
        return OutRecord.of(Topics.PAGE_PARTIALS, update.pageId(), null, write(new PagePartial(PagePartial.PARTIAL,
                update.partition(), null, update.window().spec(), update.pageId(), ref(update.window()),
                update.views(), update.uniqueUsers(), update.method(), update.relativeError(), update.version(),
                null)));
    }

    private WindowRef ref(Window window) {
        WindowSpec spec = specs.stream().filter(s -> s.name().equals(window.spec())).findFirst().orElseThrow();
        return windowRef(spec, window);
    }

    static WindowRef windowRef(WindowSpec spec, Window window) {
        if (spec.kind() == WindowSpec.Kind.SESSION) {
            return new WindowRef("session", WindowSpec.iso(spec.gap()), window.start(), window.end());
        }
        return new WindowRef(spec.kindName(), WindowSpec.iso(spec.size()),
                spec.kind() == WindowSpec.Kind.TUMBLING ? null : WindowSpec.iso(spec.advance()), window.start(),
                window.end());
    }

    private PartitionState newState(int partition) {
        return new PartitionState(new PartialWindows(partition, specs, config.outOfOrderness(),
                config.exactUniqueLimit()), sessionSpec == null ? null : new SessionWindows(sessionSpec));
    }

    private static byte[] snapshot(PartitionState state) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(1); // snapshot format version
            state.windows.writeTo(out);
            out.writeBoolean(state.sessions != null);
            if (state.sessions != null) {
                state.sessions.writeTo(out);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void restore(PartitionState state, byte[] snapshot) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int format = in.readInt();
            if (format != 1) {
                throw new IllegalStateException("unknown stage 1 snapshot format " + format);
            }
            state.windows.readFrom(in);
            if (in.readBoolean() && state.sessions != null) {
                state.sessions.readFrom(in);
            }
            state.dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ClickEvent parse(String value, IncomingKafkaRecordMetadata<?, ?> source) {
        try {
            ClickEvent event = json.readValue(value, ClickEvent.class);
            if (event.eventId() == null || event.pageId() == null || event.userId() == null
                    || event.eventTime() == null) {
                throw new IllegalArgumentException("missing event_id, page_id, user_id or event_time");
            }
            return event;
        } catch (Exception e) {
            unreadable.increment();
            LOG.warnf("clicks partition %d offset %d is not a click event, skipped: %s", source.getPartition(),
                    source.getOffset(), e.getMessage());
            return null;
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }
}
