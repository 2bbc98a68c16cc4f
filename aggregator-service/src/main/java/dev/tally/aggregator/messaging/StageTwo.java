package dev.tally.aggregator.messaging;

import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.WindowSpec;
import dev.tally.aggregator.domain.WindowTotals;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import org.jboss.logging.Logger;

import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 2 of the stream engine: consumes {@code page-partials} (partitioned by page; see {@link PartialPacks}),
 * adds the partials of every clicks partition into totals, and publishes them on {@code page-stats}, marked final
 * once every clicks partition's watermark has passed the window's end plus its grace. Checkpoints like stage 1:
 * state, next offset and the records to publish in one transaction per batch.
 */
public class StageTwo extends CheckpointedStage<StageTwo.State, PartialPacks.Input> {
    private static final Logger LOG = Logger.getLogger(StageTwo.class);
    static final String STAGE = "stage2";
    /** The consumer group of stage 2 (in view version 1; see {@link ViewVersion#group}). */
    static final String GROUP = "tally-aggregator-stage2";

    /** One partition's totals. */
    static final class State extends CheckpointedStage.PartitionState {
        final WindowTotals totals;

        State(WindowTotals totals) {
            this.totals = totals;
        }
    }

    private final TopicLayout topics;
    private final AggregatorConfig config;
    private final List<WindowSpec> specs;
    private final Map<String, WindowSpec> specsByName = new java.util.HashMap<>();
    private final Counter results;
    private final Counter finals;
    private final Counter dropped;
    private final Counter unreadable;
    private final PartialPacks packs;
    private final WindowResultJson resultJson;

    StageTwo(ViewVersion version, EngineContext context) {
        super(version, STAGE, 5, "tally.aggregator.partials.skipped", context);
        this.config = context.config();
        this.topics = context.topics();
        this.packs = new PartialPacks(context.json().getFactory(),
                context.config().packFormat() == AggregatorConfig.PackFormat.JSON);
        this.resultJson = new WindowResultJson(context.json().getFactory());
        AggregatorConfig config = this.config;
        MeterRegistry registry = context.registry();
        String tag = version.tag();
        this.specs = config.windowSpecs().stream().filter(s -> s.kind() != WindowSpec.Kind.SESSION).toList();
        specs.forEach(s -> specsByName.put(s.name(), s));
        this.results = registry.counter("tally.aggregator.results.published", "view_version", tag);
        this.finals = registry.counter("tally.aggregator.results.final", "view_version", tag);
        this.dropped = registry.counter("tally.aggregator.partials.dropped", "reason", "past-retention",
                "view_version", tag);
        this.unreadable = registry.counter("tally.aggregator.partials.skipped", "reason", "unreadable",
                "view_version", tag);
        Gauge.builder("tally.aggregator.windows.open", states,
                s -> s.values().stream().mapToInt(p -> p.totals.heldWindows()).sum()).tag("stage", STAGE)
                .tag("view_version", tag).register(registry);
    }

    @Override
    State newState(int partition) {
        return new State(new WindowTotals(specs, topics.partitions(Topics.CLICKS), config.finalRetention()));
    }

    @Override
    Uni<Map<Integer, Change>> process(SqlConnection conn, Map<Integer, State> touched,
                                      Map<Integer, List<Read<PartialPacks.Input>>> fresh) {
        Map<Integer, Change> changes = new LinkedHashMap<>();
        touched.forEach((partition, state) -> {
            for (Read<PartialPacks.Input> read : fresh.get(partition)) {
                if (read.value() != null) {
                    apply(state.totals, read.value());
                }
            }
            List<OutRecord> out = new ArrayList<>();
            for (WindowTotals.Result result : state.totals.drain()) {
                out.add(pageStats(result));
            }
            changes.put(partition, new Change(state.totals.watermark(), out));
        });
        return Uni.createFrom().item(changes);
    }

    @Override
    Uni<Void> publishCommitted(List<OutRecord> records, Map<Integer, Change> changes) {
        results.increment(records.size());
        return publisher.publish(records);
    }

    private void apply(WindowTotals totals, PartialPacks.Input input) {
        if (input instanceof PartialPacks.Watermark watermark) {
            totals.watermark(watermark.sourcePartition(), watermark.watermark(), watermark.idle());
            return;
        }
        PartialPacks.Partials partials = (PartialPacks.Partials) input;
        for (PartialWindows.Update update : partials.updates()) {
            if (!totals.apply(update, partials.sourceOffset())) {
                dropped.increment();
                LOG.warnf("a partial of %s/%s from clicks partition %d came after the window's retention; dropped",
                        update.pageId(), update.window(), update.partition());
            }
        }
    }

    /** The configured definition's name, as one shared string; null if {@code name} is not configured here. */
    private String specName(String name) {
        WindowSpec spec = specsByName.get(name);
        if (spec == null) {
            LOG.debugf("a partial of window definition %s, which is not configured here, skipped", name);
            return null;
        }
        return spec.name();
    }

    private OutRecord pageStats(WindowTotals.Result result) {
        WindowSpec spec = specsByName.get(result.window().spec());
        WindowRef window = StageOne.windowRef(spec, result.window());
        boolean byPage = spec.byPage();
        WindowResult value = new WindowResult(byPage ? result.pageId() : null, window, result.views(),
                result.uniqueUsers(), result.version(), result.finalResult(), result.watermark(),
                result.sourceOffsets(), Instant.now(), result.method(), result.relativeError(), result.valueSum(),
                byPage ? null : spec.groupBy(), byPage ? null : result.pageId());
        if (result.finalResult()) {
            finals.increment();
        }
        return OutRecord.of(version.topic(byPage ? Topics.PAGE_STATS : Topics.GROUP_STATS), value.key(), null,
                resultJson.write(value));
    }

    @Override
    void writeState(State state, DataOutput out) throws IOException {
        state.totals.writeTo(out);
    }

    /**
     * Format 3 had no source offsets; format 4 has them. Since format 5 a delta carries only the partials that
     * changed, which a build that reads up to format 4 would take for the whole total: it refuses them instead.
     */
    @Override
    boolean reads(int format) {
        return format >= 3 && format <= 5;
    }

    @Override
    void readState(State state, DataInputStream in, int format) throws IOException {
        state.totals.readFrom(in, format >= 4);
    }

    @Override
    void writeDelta(State state, DataOutput out) throws IOException {
        state.totals.writeChanges(out);
    }

    @Override
    void readDelta(State state, DataInputStream in, int format) throws IOException {
        state.totals.readChanges(in, format >= 4, format >= 5);
    }

    @Override
    void checkpointed(State state) {
        state.totals.checkpointed();
    }

    /** A pack weighs as many partials as it carries. */
    @Override
    int weight(PartialPacks.Input value) {
        return value instanceof PartialPacks.Partials partials ? Math.max(1, partials.updates().size()) : 1;
    }

    @Override
    PartialPacks.Input parse(byte[] value, int partition, long offset) {
        try {
            return packs.read(value, this::specName, single -> {
                try {
                    return json.readValue(single, PagePartial.class);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (Exception e) {
            unreadable.increment();
            LOG.warnf("%s partition %d offset %d is not a partial, skipped: %s", version.pagePartials(), partition,
                    offset, e.getMessage());
            return null;
        }
    }
}
