package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.AggregatorConfig;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.domain.WindowSpec;
import dev.tally.aggregator.domain.WindowTotals;
import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.Checkpoint;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.aggregator.store.StreamStateRepository.PartitionCommit;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stage 2 of the stream engine: consumes {@code page-partials} (keyed by page), adds the partials of every clicks
 * partition into totals, and publishes them on {@code page-stats}, marked final once every clicks partition's
 * watermark has passed the window's end plus its grace. Checkpoints like stage 1: state, next offset and the
 * records to publish in one transaction per batch.
 */
@ApplicationScoped
public class StageTwo {
    private static final Logger LOG = Logger.getLogger(StageTwo.class);
    /** Channel of the {@code page-partials} topic. */
    public static final String PAGE_PARTIALS = "page-partials";
    static final String STAGE = "stage2";

    static final class PartitionState {
        final WindowTotals totals;
        long committedOffset;
        byte[] committedState;
        boolean dirty;

        PartitionState(WindowTotals totals) {
            this.totals = totals;
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
    private final Map<Integer, PartitionState> states = new ConcurrentHashMap<>();
    private final Counter results;
    private final Counter finals;
    private final Counter fenced;
    private final Counter dropped;
    private final Timer commitLatency;

    @Inject
    public StageTwo(AggregatorConfig config, MeterRegistry registry) {
        this.config = config;
        this.specs = config.windowSpecs().stream().filter(s -> s.kind() != WindowSpec.Kind.SESSION).toList();
        this.results = registry.counter("tally.aggregator.results.published");
        this.finals = registry.counter("tally.aggregator.results.final");
        this.fenced = registry.counter("tally.aggregator.partitions.fenced");
        this.dropped = registry.counter("tally.aggregator.partials.dropped", "reason", "past-retention");
        this.commitLatency = Timer.builder("tally.aggregator.batch.commit").tag("stage", STAGE)
                .publishPercentiles(0.5, 0.99).register(registry);
        Gauge.builder("tally.aggregator.windows.open", states,
                s -> s.values().stream().mapToInt(p -> p.totals.heldWindows()).sum()).tag("stage", STAGE)
                .register(registry);
    }

    Map<Integer, Long> assign(List<Integer> partitions) {
        Map<Integer, Checkpoint> checkpoints = repository.load(STAGE, partitions).await()
                .atMost(Duration.ofSeconds(60));
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        for (int partition : partitions) {
            PartitionState state = new PartitionState(newTotals());
            Checkpoint checkpoint = checkpoints.get(partition);
            if (checkpoint != null) {
                restore(state, checkpoint.state());
                state.committedOffset = checkpoint.nextOffset();
                state.committedState = checkpoint.state();
            } else {
                state.committedState = snapshot(state);
            }
            List<OutRecord> pending = repository.pending(STAGE, partition).await().atMost(Duration.ofSeconds(60));
            publisher.publish(pending).await().atMost(Duration.ofSeconds(60));
            states.put(partition, state);
            offsets.put(partition, state.committedOffset);
        }
        LOG.infof("stage 2 resumes %s", offsets);
        return offsets;
    }

    void revoke(List<Integer> partitions) {
        partitions.forEach(states::remove);
    }

    @Incoming(PAGE_PARTIALS)
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
                .onFailure().invoke(e -> LOG.warnf("a stage 2 batch failed, retrying: %s", e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .call(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private record Read(long offset, PagePartial partial) {
    }

    private Uni<Void> attempt(Map<Integer, List<Read>> byPartition) {
        long started = System.nanoTime();
        Map<Integer, PartitionState> touched = new LinkedHashMap<>();
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        byPartition.forEach((partition, reads) -> {
            PartitionState state = states.get(partition);
            if (state == null) {
                return;
            }
            if (state.dirty) {
                restore(state, state.committedState);
            }
            long next = state.committedOffset;
            for (Read read : reads) {
                next = Math.max(next, read.offset() + 1);
            }
            if (next > state.committedOffset) {
                touched.put(partition, state);
                nextOffsets.put(partition, next);
            }
        });
        if (touched.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<Integer, byte[]> snapshots = new LinkedHashMap<>();
        return repository.commit(STAGE, conn -> {
                    List<PartitionCommit> commits = new ArrayList<>();
                    touched.forEach((partition, state) -> {
                        state.dirty = true;
                        for (Read read : byPartition.get(partition)) {
                            if (read.offset() >= state.committedOffset && read.partial() != null) {
                                apply(state.totals, read.partial());
                            }
                        }
                        List<OutRecord> out = new ArrayList<>();
                        for (WindowTotals.Result result : state.totals.drain()) {
                            out.add(pageStats(result));
                        }
                        byte[] snapshot = snapshot(state);
                        snapshots.put(partition, snapshot);
                        commits.add(new PartitionCommit(partition, state.committedOffset, nextOffsets.get(partition),
                                snapshot, state.totals.watermark(), out));
                    });
                    return Uni.createFrom().item(commits);
                })
                .flatMap(records -> {
                    touched.forEach((partition, state) -> {
                        state.committedOffset = nextOffsets.get(partition);
                        state.committedState = snapshots.get(partition);
                        state.dirty = false;
                    });
                    commitLatency.record(Duration.ofNanos(System.nanoTime() - started));
                    results.increment(records.size());
                    return publisher.publish(records);
                });
    }

    private void apply(WindowTotals totals, PagePartial partial) {
        if (PagePartial.WATERMARK.equals(partial.type())) {
            totals.watermark(partial.sourcePartition(), partial.watermark(), Boolean.TRUE.equals(partial.idle()));
            return;
        }
        if (specs.stream().noneMatch(s -> s.name().equals(partial.spec()))) {
            LOG.debugf("a partial of window definition %s, which is not configured here, skipped", partial.spec());
            return;
        }
        boolean applied = totals.apply(new PartialWindows.Update(partial.sourcePartition(), partial.pageId(),
                new Window(partial.spec(), partial.window().start(), partial.window().end()), partial.views(),
                partial.uniqueUsers(), partial.uniqueMethod(), partial.uniqueError(), partial.version()));
        if (!applied) {
            dropped.increment();
            LOG.warnf("a partial of %s/%s from clicks partition %d came after the window's retention; dropped",
                    partial.pageId(), partial.window().key(), partial.sourcePartition());
        }
    }

    private OutRecord pageStats(WindowTotals.Result result) {
        WindowSpec spec = specs.stream().filter(s -> s.name().equals(result.window().spec())).findFirst()
                .orElseThrow();
        WindowRef window = StageOne.windowRef(spec, result.window());
        WindowResult value = new WindowResult(result.pageId(), window, result.views(), result.uniqueUsers(),
                result.version(), result.finalResult(), result.watermark(), null, Instant.now(), result.method(),
                result.relativeError());
        if (result.finalResult()) {
            finals.increment();
        }
        return OutRecord.of(Topics.PAGE_STATS, value.key(), null, write(value));
    }

    private WindowTotals newTotals() {
        return new WindowTotals(specs, topics.clicksPartitions(), config.finalRetention());
    }

    private static byte[] snapshot(PartitionState state) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(2);
            state.totals.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void restore(PartitionState state, byte[] snapshot) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int format = in.readInt();
            if (format != 2) {
                throw new IllegalStateException("unknown stage 2 snapshot format " + format);
            }
            state.totals.readFrom(in);
            state.dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private PagePartial parse(String value, IncomingKafkaRecordMetadata<?, ?> source) {
        try {
            return json.readValue(value, PagePartial.class);
        } catch (Exception e) {
            LOG.warnf("page-partials partition %d offset %d is not a partial, skipped: %s", source.getPartition(),
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
