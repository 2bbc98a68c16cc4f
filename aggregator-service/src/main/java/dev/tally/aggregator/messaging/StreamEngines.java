package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.aggregator.store.ViewVersionRepository;
import dev.tally.aggregator.store.ViewVersionRepository.Version;
import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersionChange;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Runs a stream engine for every view version that serves or replays, as the table {@code view_version} says, and
 * moves a replay on. Every replica checks once a second: it starts and stops engines, announces what changed on
 * the {@code view-versions} topic, and, while a replay runs, checks its catch-up; the database's compare-and-set
 * makes each step happen once, whichever replica sees it first.
 * <p>
 * A replay catches up in two phases: its stage 1 must reach, on every clicks partition, the offset the serving
 * version's stage 1 had committed at the previous check (so it is at most a check behind); then its stage 2 must
 * read everything its stage 1 had written by then. Then it serves, with the end offsets of its page-stats, so that
 * a reader switches once it has applied them; the old version's engines stop on every replica, and after
 * {@code tally.aggregator.retired-drop-after} its checkpoints, outbox, counted ids and topics are dropped.
 */
@ApplicationScoped
public class StreamEngines {
    private static final Logger LOG = Logger.getLogger(StreamEngines.class);

    @Inject
    AggregatorConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    StreamStateRepository state;

    @Inject
    ViewVersionRepository versions;

    @Inject
    DerivedPublisher publisher;

    @Inject
    ObjectMapper json;

    @Inject
    TopicLayout topics;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

    private final Map<Integer, StreamEngine> engines = new ConcurrentHashMap<>();
    private long lastProgress = System.nanoTime() - PROGRESS_EVERY.toNanos();
    private volatile boolean stopped;

    /** The engines running here, by version. */
    List<StreamEngine> running() {
        return List.copyOf(engines.values());
    }

    /** How far stage 1 of a view version has read one clicks partition (on any replica), and where it ends. */
    public record Progress(int partition, long offset, long endOffset) {
    }

    /** How far stage 1 of view {@code version} has read the log, per clicks partition. */
    public List<Progress> progress(int version) {
        Map<Integer, Long> done = state.nextOffsets(new ViewVersion(version).stage(StageOne.STAGE)).await()
                .atMost(Duration.ofSeconds(30));
        List<Progress> progress = new ArrayList<>();
        topics.endOffsets(Topics.CLICKS).forEach((partition, end) ->
                progress.add(new Progress(partition, done.getOrDefault(partition, 0L), end)));
        return progress;
    }

    @Scheduled(every = "1s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void reconcile() {
        if (!config.streamEnabled() || stopped) {
            return;
        }
        try {
            List<Version> all = versions.all().await().atMost(Duration.ofSeconds(30));
            Set<Integer> wanted = all.stream()
                    .filter(v -> ViewVersionChange.SERVING.equals(v.state())
                            || ViewVersionChange.REPLAYING.equals(v.state()))
                    .map(Version::version).collect(Collectors.toSet());
            engines.keySet().stream().filter(v -> !wanted.contains(v)).toList().forEach(this::stop);
            for (int version : wanted) {
                engines.computeIfAbsent(version, this::start);
            }
            announce(all);
            Optional<Version> serving = all.stream()
                    .filter(v -> ViewVersionChange.SERVING.equals(v.state())).findFirst();
            Optional<Version> replaying = all.stream()
                    .filter(v -> ViewVersionChange.REPLAYING.equals(v.state())).findFirst();
            if (serving.isPresent() && replaying.isPresent()) {
                reportProgress(replaying.get());
                checkCatchUp(replaying.get(), serving.get());
            }
            Instant dropBefore = Instant.now().minus(config.retiredDropAfter());
            for (Version version : all) {
                if (ViewVersionChange.RETIRED.equals(version.state())
                        && version.retiredAt().isBefore(dropBefore)) {
                    drop(version.version());
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("checking the view versions failed, will retry: %s", e.toString());
        }
    }

    /** Stage 1's heartbeat of every engine: watermarks to stage 2 when nothing else happens. */
    @Scheduled(every = "${tally.aggregator.heartbeat-interval:1s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void beat() {
        for (StreamEngine engine : running()) {
            engine.beat().await().atMost(Duration.ofSeconds(60));
        }
    }

    private StreamEngine start(int number) {
        ViewVersion version = new ViewVersion(number);
        topics.create(number);
        StreamEngine engine = new StreamEngine(version, context());
        engine.start();
        return engine;
    }

    /** What an engine of this replica is built with. */
    EngineContext context() {
        return new EngineContext(config, registry, state, publisher, json, topics, kafka);
    }

    private void stop(int version) {
        StreamEngine engine = engines.remove(version);
        if (engine != null) {
            engine.close();
        }
    }

    /** Publishes each version's state on view-versions once (again after a crash between the two steps). */
    private void announce(List<Version> all) {
        List<OutRecord> changes = new ArrayList<>();
        for (Version version : all) {
            if (ViewVersionRepository.DROPPED.equals(version.state()) || version.state().equals(version.announced())) {
                continue;
            }
            ViewVersionChange change = new ViewVersionChange(version.version(), version.state(),
                    version.pageStatsOffsets(), Instant.now());
            changes.add(OutRecord.of(Topics.VIEW_VERSIONS, change.key(), 0, write(change)));
        }
        if (changes.isEmpty()) {
            return;
        }
        publisher.send(changes).await().atMost(Duration.ofSeconds(60));
        for (Version version : all) {
            if (!ViewVersionRepository.DROPPED.equals(version.state())
                    && !version.state().equals(version.announced())) {
                versions.announced(version.version(), version.state()).await().atMost(Duration.ofSeconds(30));
                LOG.infof("view version %d announced as %s", version.version(), version.state());
            }
        }
    }

    private void checkCatchUp(Version replay, Version serving) {
        ViewVersion replaying = new ViewVersion(replay.version());
        if (ViewVersionRepository.PHASE_CLICKS.equals(replay.phase())) {
            Map<Integer, Long> done = state.nextOffsets(replaying.stage(StageOne.STAGE)).await()
                    .atMost(Duration.ofSeconds(30));
            if (replay.target() != null && reached(done, replay.target())) {
                // stage 1 caught up: stage 2 must now read what it wrote so far
                Map<Integer, Long> partials = topics.endOffsets(replaying.pagePartials());
                if (versions.target(replay.version(), ViewVersionRepository.PHASE_CLICKS,
                        ViewVersionRepository.PHASE_PARTIALS, partials).await().atMost(Duration.ofSeconds(30))) {
                    LOG.infof("view version %d: stage 1 caught up at %s; stage 2 to reach %s", replay.version(),
                            done, partials);
                }
                return;
            }
            Map<Integer, Long> live = state.nextOffsets(new ViewVersion(serving.version()).stage(StageOne.STAGE))
                    .await().atMost(Duration.ofSeconds(30));
            if (!live.equals(replay.target())) { // a quiet serving version leaves the target as it is
                versions.target(replay.version(), ViewVersionRepository.PHASE_CLICKS,
                        ViewVersionRepository.PHASE_CLICKS, live).await().atMost(Duration.ofSeconds(30));
            }
        } else if (ViewVersionRepository.PHASE_PARTIALS.equals(replay.phase())) {
            Map<Integer, Long> done = state.nextOffsets(replaying.stage(StageTwo.STAGE)).await()
                    .atMost(Duration.ofSeconds(30));
            if (reached(done, replay.target())) {
                Map<Integer, Long> pageStats = topics.endOffsets(replaying.topic(Topics.PAGE_STATS));
                if (versions.switchTo(replay.version(), serving.version(), pageStats).await()
                        .atMost(Duration.ofSeconds(30))) {
                    LOG.infof("view version %d serves from now on (page-stats up to %s); version %d is retired",
                            replay.version(), pageStats, serving.version());
                }
            }
        }
    }

    /** Every {@link #PROGRESS_EVERY}, a line on how far a replay's stage 1 has read the log. */
    private void reportProgress(Version replay) {
        long now = System.nanoTime();
        if (now - lastProgress < PROGRESS_EVERY.toNanos()) {
            return;
        }
        lastProgress = now;
        List<Progress> progress = progress(replay.version());
        long done = progress.stream().mapToLong(Progress::offset).sum();
        long end = progress.stream().mapToLong(Progress::endOffset).sum();
        long seconds = Duration.between(replay.requestedAt(), Instant.now()).toSeconds();
        LOG.infof("view version %d replaying (phase %s): %d of %d clicks read (%.1f%%) in %d s", replay.version(),
                replay.phase(), done, end, end == 0 ? 100.0 : 100.0 * done / end, seconds);
    }

    /** Whether every partition of {@code target} is at or past its offset in {@code done}. */
    static boolean reached(Map<Integer, Long> done, Map<Integer, Long> target) {
        return target.entrySet().stream().allMatch(t -> done.getOrDefault(t.getKey(), 0L) >= t.getValue());
    }

    private void drop(int number) {
        ViewVersion version = new ViewVersion(number);
        stop(number);
        state.drop(List.of(version.stage(StageOne.STAGE), version.stage(StageTwo.STAGE))).await()
                .atMost(Duration.ofSeconds(60));
        topics.delete(number);
        if (versions.dropped(number).await().atMost(Duration.ofSeconds(30))) {
            LOG.infof("view version %d dropped: its checkpoints, outbox, counted ids and topics are gone", number);
        }
    }

    private byte[] write(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }

    void shutdown(@Observes ShutdownEvent event) {
        stopped = true;
        engines.keySet().stream().toList().forEach(this::stop);
    }
}
