package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Map;

/**
 * The two stages of one view version, each fed by its own consumer: stage 1 reads {@code clicks} in the version's
 * consumer group and writes the version's {@code page-partials}, stage 2 reads those and writes its
 * {@code page-stats}. The serving version and a replay run as two engines side by side.
 */
final class StreamEngine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StreamEngine.class);

    private final ViewVersion version;
    private final StageOne stageOne;
    private final StageTwo stageTwo;
    private final MeterRegistry registry;
    private final List<StageConsumer<?>> consumers;

    StreamEngine(ViewVersion version, EngineContext context) {
        this.version = version;
        this.registry = context.registry();
        this.stageOne = new StageOne(version, context);
        this.stageTwo = new StageTwo(version, context);
        int maxPollRecords = context.config().maxPollRecords();
        int maxBatchRecords = context.config().maxBatchRecords();
        this.consumers = List.of(
                new StageConsumer<>(stageOne, Topics.CLICKS, version.group(StageOne.GROUP),
                        context.bootstrapServers(), maxPollRecords, maxBatchRecords),
                new StageConsumer<>(stageTwo, version.pagePartials(), version.group(StageTwo.GROUP),
                        context.bootstrapServers(), maxPollRecords, maxBatchRecords));
    }

    ViewVersion version() {
        return version;
    }

    void start() {
        consumers.forEach(StageConsumer::start);
        LOG.infof("view version %d: stream engine started", version.number());
    }

    /** Why a stage's consumer stopped for good, for each that did (see {@link StageConsumer#failure}). */
    List<String> failures() {
        return consumers.stream().map(StageConsumer::failure).filter(java.util.Objects::nonNull).toList();
    }

    /** Stage 1's heartbeat: watermarks to stage 2, after flushing what quiet partitions hold back. */
    Uni<Void> beat() {
        return stageOne.beat();
    }

    /** The next offset to read per partition owned here, as committed: of clicks, and of page-partials. */
    Map<Integer, Long> committedClicks() {
        return stageOne.committedOffsets();
    }

    Map<Integer, Long> committedPartials() {
        return stageTwo.committedOffsets();
    }

    /** Removes every meter of view version {@code version} from {@code registry}. */
    static void forgetMeters(MeterRegistry registry, ViewVersion version) {
        List<Meter> meters = registry.getMeters().stream()
                .filter(m -> version.tag().equals(m.getId().getTag("view_version"))).toList();
        meters.forEach(registry::remove);
    }

    /** Stops both consumers (leaving their groups) and forgets the version's metrics. */
    @Override
    public void close() {
        consumers.forEach(StageConsumer::close);
        forgetMeters(registry, version);
        LOG.infof("view version %d: stream engine stopped", version.number());
    }
}
