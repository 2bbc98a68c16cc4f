package dev.tally.aggregator.messaging;

import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.domain.ClickFields;
import dev.tally.aggregator.domain.Interner;
import dev.tally.aggregator.domain.Lz4Blobs;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.SeenEvents;
import dev.tally.aggregator.domain.SessionWindows;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.domain.WindowSpec;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.LateClick;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.SessionResult;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import org.jboss.logging.Logger;

import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
public class StageOne extends CheckpointedStage<StageOne.State, StageOne.Click> {
    private static final Logger LOG = Logger.getLogger(StageOne.class);
    static final String STAGE = "stage1";
    /** The consumer group of stage 1 (in view version 1; see {@link ViewVersion#group}). */
    static final String GROUP = "tally-aggregator";

    /**
     * A click as stage 1 reads it ({@link ClickFields}): the fields it counts by (its send and receive times are
     * null, and its type and attributes unless a definition groups by them), the fingerprint of its event id, and
     * the record as it came, read whole only if the click is late.
     */
    record Click(ClickEvent event, long[] fingerprint, byte[] json) {
    }

    /** One partition's windows, sessions, counted event ids and watermark. */
    static final class State extends CheckpointedStage.PartitionState {
        final PartialWindows windows;
        final SessionWindows sessions;
        final SeenEvents seen;
        /** Whether it said, once, that it had to forget counted ids before the horizon. */
        boolean forgotEarly;
        volatile Instant publishedWatermark;
        /** False until what the last owner left in the outbox went out: no watermark before that. */
        volatile boolean watermarkPublished;
        volatile long lastReadMillis = System.currentTimeMillis();

        State(PartialWindows windows, SessionWindows sessions, SeenEvents seen) {
            this.windows = windows;
            this.sessions = sessions;
            this.seen = seen;
        }
    }

    private final TopicLayout topics;
    private final AggregatorConfig config;
    private final List<WindowSpec> specs;
    private final Map<String, WindowSpec> specsByName = new HashMap<>();
    private final WindowSpec sessionSpec;
    private final MeterRegistry registry;
    private final Set<Integer> watermarkGauges = ConcurrentHashMap.newKeySet();
    private final Counter counted;
    private final Counter unreadable;
    private final Counter duplicates;
    private final Counter late;
    private final Counter forgottenEarly;
    private final PartialPacks packs;
    /** The users' and pages' ids as parsed, one copy each; only the consumer's thread parses. */
    private final Interner ids = new Interner(1_000_000);
    private final ClickFields fields = new ClickFields();
    /** Whether a definition groups by a click's type or an attribute, which the click reader does not read. */
    private final boolean bindsWhole;

    StageOne(ViewVersion version, EngineContext context) {
        super(version, STAGE, 6, "tally.aggregator.events.skipped", context);
        this.config = context.config();
        this.registry = context.registry();
        this.topics = context.topics();
        this.packs = new PartialPacks(context.json().getFactory(),
                context.config().packFormat() == AggregatorConfig.PackFormat.JSON);
        AggregatorConfig config = this.config;
        MeterRegistry registry = this.registry;
        String tag = version.tag();
        this.specs = config.windowSpecs();
        specs.forEach(s -> specsByName.put(s.name(), s));
        this.sessionSpec = specs.stream().filter(s -> s.kind() == WindowSpec.Kind.SESSION).findFirst().orElse(null);
        this.bindsWhole = specs.stream().anyMatch(WindowSpec::groupsByTypeOrAttribute);
        this.counted = registry.counter("tally.aggregator.events.counted", "view_version", tag);
        this.unreadable = registry.counter("tally.aggregator.events.skipped", "reason", "unreadable",
                "view_version", tag);
        this.duplicates = registry.counter("tally.aggregator.events.skipped", "reason", "duplicate-event-id",
                "view_version", tag);
        this.late = registry.counter("tally.aggregator.events.late", "view_version", tag);
        this.forgottenEarly = registry.counter("tally.aggregator.dedup.forgotten.early", "view_version", tag);
        Gauge.builder("tally.aggregator.dedup.ids", states,
                s -> s.values().stream().mapToInt(p -> p.seen.size()).sum()).tag("view_version", tag)
                .register(registry);
        Gauge.builder("tally.aggregator.windows.open", states,
                s -> s.values().stream().mapToInt(p -> p.windows.openWindows()).sum()).tag("stage", STAGE)
                .tag("view_version", tag).register(registry);
        LOG.infof("view version %d, windows: %s; checkpoints and outbox compressed by %s", version.number(), specs,
                Lz4Blobs.codec());
    }

    @Override
    State newState(int partition) {
        return new State(new PartialWindows(partition, specs, config.outOfOrderness(), config.exactUniqueLimit()),
                sessionSpec == null ? null : new SessionWindows(sessionSpec),
                new SeenEvents(config.dedupHorizon(), config.dedupMaxIds()));
    }

    @Override
    void assigned(int partition, State state) {
        state.publishedWatermark = state.windows.watermark();
        state.watermarkPublished = true;
        if (watermarkGauges.add(partition)) {
            // event time of the partition's watermark, in seconds since the epoch; NaN while not owned here
            Gauge.builder("tally.aggregator.watermark", states, s -> {
                State owned = s.get(partition);
                Instant watermark = owned == null ? null : owned.publishedWatermark;
                return watermark == null ? Double.NaN : watermark.toEpochMilli() / 1000.0;
            }).tag("partition", Integer.toString(partition)).tag("view_version", version.tag()).baseUnit("seconds")
                    .register(registry);
        }
    }

    @Override
    void read(State state) {
        state.lastReadMillis = System.currentTimeMillis();
    }

    @Override
    Uni<Map<Integer, Change>> process(SqlConnection conn, Map<Integer, State> touched,
                                      Map<Integer, List<Read<Click>>> fresh) {
        return Uni.createFrom().item(() -> {
            Map<Integer, Change> changes = new LinkedHashMap<>();
            long now = System.currentTimeMillis(); // the dedup horizon is in processing time
            int unique = 0;
            int repeated = 0;
            for (Map.Entry<Integer, State> entry : touched.entrySet()) {
                int partition = entry.getKey();
                State state = entry.getValue();
                List<OutRecord> out = new ArrayList<>();
                List<Read<Click>> reads = fresh.get(partition);
                long forgotten = state.seen.forgottenEarly();
                for (Read<Click> read : reads) {
                    Click click = read.value();
                    if (click == null) {
                        continue;
                    }
                    if (state.seen.add(click.fingerprint(), now)) {
                        unique++;
                        apply(state, click, out);
                    } else {
                        repeated++;
                    }
                }
                forgotEarly(partition, state, state.seen.forgottenEarly() - forgotten);
                // no records: a tick before the partition says it is idle, which sends what was held back
                boolean tick = reads.isEmpty();
                long covered = tick ? state.committedOffset : reads.get(reads.size() - 1).offset() + 1;
                out.addAll(packs.pack(version.pagePartials(), topics.partitions(version.pagePartials()), partition,
                        covered, tick ? state.windows.flush() : state.windows.drain()));
                if (state.sessions != null) {
                    for (SessionWindows.Session session : state.sessions.complete(state.windows.watermark())) {
                        out.add(OutRecord.of(version.topic(Topics.SESSIONS), session.userId(), null,
                                write(new SessionResult(session.userId(), session.start(), session.end(),
                                        WindowSpec.iso(sessionSpec.gap()), session.events(), session.pages(),
                                        true))));
                    }
                }
                changes.put(partition, new Change(state.windows.watermark(), out));
            }
            duplicates.increment(repeated);
            counted.increment(unique);
            return changes;
        });
    }

    /** Counts the ids a partition let go before the horizon (over its bound), and says so once per owner. */
    private void forgotEarly(int partition, State state, long ids) {
        if (ids <= 0) {
            return;
        }
        forgottenEarly.increment(ids);
        if (!state.forgotEarly) {
            state.forgotEarly = true;
            LOG.warnf("clicks partition %d holds more than %d counted event ids (tally.aggregator.dedup-max-ids): "
                    + "it forgets the oldest before the dedup horizon (%s), so a repeat of one of them would be "
                    + "counted again; tally_aggregator_dedup_forgotten_early_total counts them", partition,
                    config.dedupMaxIds(), config.dedupHorizon());
        }
    }

    @Override
    Uni<Void> publishCommitted(List<OutRecord> records, Map<Integer, Change> changes) {
        Map<Integer, Instant> watermarks = new HashMap<>();
        changes.forEach((partition, change) -> watermarks.put(partition, change.watermark()));
        // the records first, then the watermarks that follow them: stage 2 must see both in this order
        return publisher.publish(records).chain(() -> heartbeat(watermarks));
    }

    private void apply(State state, Click click, List<OutRecord> out) {
        ClickEvent event = click.event();
        Instant watermark = state.windows.watermark();
        List<Window> missed = new ArrayList<>();
        if (state.sessions != null && state.sessions.add(event, watermark).isPresent()) {
            missed.add(new Window(sessionSpec.name(), event.eventTime(), event.eventTime()));
        }
        state.windows.add(event).ifPresent(l -> missed.addAll(l.missed()));
        if (!missed.isEmpty()) {
            late.increment();
            String reason = "arrived after the watermark (" + watermark + ") passed the end plus grace of "
                    + missed.size() + " of its windows";
            out.add(OutRecord.of(version.topic(Topics.CLICKS_LATE), event.userId(), null, write(new LateClick(
                    whole(click), reason, missed.stream().map(this::ref).toList(), watermark))));
        }
    }

    /** The click with every field, as it came: what clicks.late carries. */
    private ClickEvent whole(Click click) {
        try {
            return json.readValue(click.json(), ClickEvent.class);
        } catch (IOException e) {
            // the click reader read it, but a field it skips may not bind: then what it read
            LOG.warnf("a late click goes to clicks.late with only the fields counted by: %s", e.getMessage());
            return click.event();
        }
    }

    /**
     * Sends each partition's watermark to every partition of page-partials, saying whether the partition is idle:
     * nothing read from it for the idle timeout, and no final-only partial held back (see {@link #beat}). Only a
     * live stage 1 says so; a dead one says nothing, and its partitions keep holding windows back until their new
     * owner catches up.
     */
    private Uni<Void> heartbeat(Map<Integer, Instant> watermarks) {
        List<OutRecord> beats = new ArrayList<>();
        int targets = topics.partitions(version.pagePartials());
        long now = System.currentTimeMillis();
        watermarks.forEach((partition, watermark) -> {
            State state = states.get(partition);
            boolean idle = quiet(state, now) && !state.windows.pending();
            byte[] value = write(PagePartial.watermark(partition, watermark, idle));
            for (int target = 0; target < targets; target++) {
                beats.add(OutRecord.of(version.pagePartials(), null, target, value));
            }
        });
        return publisher.send(beats).invoke(() -> watermarks.forEach((partition, watermark) -> {
            State state = states.get(partition);
            if (state != null) {
                state.publishedWatermark = watermark;
                state.watermarkPublished = true;
            }
        }));
    }

    private boolean quiet(State state, long now) {
        return state != null && now - state.lastReadMillis >= config.idleTimeout().toMillis();
    }

    /**
     * Keeps stage 2 informed while a partition has nothing new: its watermark, as published. A partition that has
     * gone quiet while holding back final-only partials (their windows not closed by its own watermark yet) first
     * sends them, committed like any batch; only then may it say it is idle, and stage 2 stop waiting for it.
     */
    Uni<Void> beat() {
        long now = System.currentTimeMillis();
        List<Integer> holding = new ArrayList<>();
        states.forEach((partition, state) -> {
            if (state.watermarkPublished && quiet(state, now) && state.windows.pending()) {
                holding.add(partition);
            }
        });
        Uni<Void> flushed = holding.isEmpty() ? Uni.createFrom().voidItem() : tick(holding);
        return flushed.chain(this::beatWatermarks).onFailure().recoverWithNull();
    }

    private Uni<Void> beatWatermarks() {
        Map<Integer, Instant> watermarks = new HashMap<>();
        states.forEach((partition, state) -> {
            if (state.watermarkPublished) {
                watermarks.put(partition, state.publishedWatermark); // null until the partition has an event
            }
        });
        return heartbeat(watermarks).onFailure().recoverWithNull();
    }

    private WindowSpec spec(Window window) {
        return specsByName.get(window.spec()); // every window here is of a configured definition
    }

    private WindowRef ref(Window window) {
        return windowRef(spec(window), window);
    }

    static WindowRef windowRef(WindowSpec spec, Window window) {
        if (spec.kind() == WindowSpec.Kind.SESSION) {
            return new WindowRef("session", WindowSpec.iso(spec.gap()), window.start(), window.end());
        }
        return new WindowRef(spec.kindName(), WindowSpec.iso(spec.size()),
                spec.kind() == WindowSpec.Kind.TUMBLING ? null : WindowSpec.iso(spec.advance()), window.start(),
                window.end());
    }

    @Override
    void writeState(State state, DataOutput out) throws IOException {
        state.windows.writeTo(out);
        state.seen.writeTo(out);
        out.writeBoolean(state.sessions != null);
        if (state.sessions != null) {
            state.sessions.writeTo(out);
        }
    }

    /**
     * Format 2 had no pending flag on partials: everything was sent at every batch. Up to format 3 a delta held the
     * changed users' sessions, since format 4 what happened to the sessions. Format 5 holds panes of final-only
     * hopping and sliding definitions, where format 4 held their windows (which are still read, see {@link
     * PartialWindows}): a build that reads up to format 4 would take the panes for windows, and refuses them.
     * Format 6 holds the counted event ids, which PostgreSQL held before, in a table of their own: a checkpoint of
     * an earlier format starts with none.
     */
    @Override
    boolean reads(int format) {
        return format >= 2 && format <= 6;
    }

    @Override
    void readState(State state, DataInputStream in, int format) throws IOException {
        state.windows.readFrom(in, format >= 3);
        if (format >= 6) {
            state.seen.readFrom(in);
        } else {
            state.seen.clear(); // and not what a failed attempt had added to this state
        }
        if (in.readBoolean() && state.sessions != null) { // last: unread if no longer configured
            state.sessions.readFrom(in);
        }
    }

    @Override
    void writeDelta(State state, DataOutput out) throws IOException {
        state.windows.writeChanges(out);
        state.seen.writeChanges(out);
        out.writeBoolean(state.sessions != null);
        if (state.sessions != null) {
            state.sessions.writeChanges(out);
        }
    }

    @Override
    void readDelta(State state, DataInputStream in, int format) throws IOException {
        state.windows.readChanges(in, format >= 3);
        if (format >= 6) {
            state.seen.readChanges(in);
        }
        if (in.readBoolean() && state.sessions != null) { // last in the delta: unread if no longer configured
            state.sessions.readChanges(in, format >= 4);
        }
    }

    @Override
    void checkpointed(State state) {
        state.windows.checkpointed();
        state.seen.checkpointed();
        if (state.sessions != null) {
            state.sessions.checkpointed();
        }
    }

    /**
     * Reads a click with {@link ClickFields}, as the batch layer does, so that both count the same clicks. Its type
     * and attributes are bound (with Jackson) only if a definition groups by one of them; if they cannot be, the
     * click still counts, in no group of those definitions. Only the consumer's thread parses.
     */
    @Override
    Click parse(byte[] value, int partition, long offset) {
        if (!fields.parse(value, 0, value.length)) {
            unreadable.increment();
            LOG.warnf("clicks partition %d offset %d is not a click event, skipped: %s", partition, offset,
                    fields.error());
            return null;
        }
        String type = null;
        Map<String, String> attrs = null;
        if (bindsWhole) {
            try {
                ClickEvent whole = json.readValue(value, ClickEvent.class);
                type = whole.type();
                attrs = whole.attrs();
            } catch (IOException e) {
                LOG.warnf("clicks partition %d offset %d: its type and attributes cannot be read, so it counts in "
                        + "no group by them: %s", partition, offset, e.getMessage());
            }
        }
        ClickEvent counted = new ClickEvent(fields.eventId(), fields.userId(ids), fields.pageId(ids), type,
                fields.eventTime(), null, null, fields.value(), attrs);
        return new Click(counted, fields.eventIdFingerprint(), value);
    }
}
