package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.Checkpoint;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.aggregator.store.StreamStateRepository.PartitionCommit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What both stages of the stream engine share: per-partition state in memory, restored from its checkpoint on
 * assignment (after publishing what the last owner left in the outbox); micro-batches that skip records below
 * the committed offset, change the state and commit it with the next offset and the records to publish in one
 * transaction, then publish; a failed attempt restores the committed state and retries; a fenced partition (its
 * checkpoint moved on under us: another replica owns it) is dropped until it is assigned here again.
 *
 * @param <S> a partition's state
 * @param <R> a record of the input topic, parsed
 */
abstract class CheckpointedStage<S extends CheckpointedStage.PartitionState, R> {

    /** The bookkeeping of one partition's state: where it was last committed, and whether it changed since. */
    abstract static class PartitionState {
        long committedOffset;
        byte[] committedState;
        boolean dirty;
    }

    /** A record read: its offset, and its value (null if unreadable: counted as read, changes nothing). */
    record Read<R>(long offset, R value) {
    }

    /** What a batch did to one partition, to commit. */
    record Change(byte[] snapshot, java.time.Instant watermark, List<OutRecord> records) {
    }

    private final Logger log;
    private final String stage;
    private final int snapshotFormat;
    protected final Map<Integer, S> states = new ConcurrentHashMap<>();
    private final Counter redelivered;
    private final Counter fenced;
    private final Timer commitLatency;

    @Inject
    StreamStateRepository repository;

    @Inject
    DerivedPublisher publisher;

    @Inject
    ObjectMapper json;

    /**
     * @param skippedMetric the counter of records read again below the committed offset (after a restart or a
     *                      rebalance), tagged {@code reason=already-read}
     */
    CheckpointedStage(String stage, int snapshotFormat, String skippedMetric, MeterRegistry registry) {
        this.log = Logger.getLogger(getClass());
        this.stage = stage;
        this.snapshotFormat = snapshotFormat;
        this.redelivered = registry.counter(skippedMetric, "reason", "already-read");
        this.fenced = registry.counter("tally.aggregator.partitions.fenced", "stage", stage);
        this.commitLatency = Timer.builder("tally.aggregator.batch.commit").tag("stage", stage)
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    abstract S newState(int partition);

    abstract void writeState(S state, DataOutputStream out) throws IOException;

    abstract void readState(S state, DataInputStream in) throws IOException;

    abstract R parse(String payload, IncomingKafkaRecordMetadata<?, ?> source);

    /**
     * Applies the new records of each touched partition to its state, inside the batch's transaction; returns what
     * to commit per partition.
     */
    abstract Uni<Map<Integer, Change>> process(SqlConnection conn, Map<Integer, S> touched,
                                               Map<Integer, List<Read<R>>> fresh);

    /** After the commit: publishes the batch's records (and whatever must follow them). */
    abstract Uni<Void> publishCommitted(List<OutRecord> records, Map<Integer, Change> changes);

    /** Called with every partition that had records in a batch (for stage 1's idleness). */
    void read(S state) {
    }

    /** Restores the partitions' state from their checkpoints; returns the offset to resume each at. */
    Map<Integer, Long> assign(List<Integer> partitions) {
        Map<Integer, Checkpoint> checkpoints = repository.load(stage, partitions).await()
                .atMost(Duration.ofSeconds(60));
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        for (int partition : partitions) {
            S state = newState(partition);
            Checkpoint checkpoint = checkpoints.get(partition);
            if (checkpoint != null) {
                restore(state, checkpoint.state());
                state.committedOffset = checkpoint.nextOffset();
                state.committedState = checkpoint.state();
            } else {
                state.committedState = snapshot(state);
            }
            // what the last owner committed but may not have published goes out before anything new
            List<OutRecord> pending = repository.pending(stage, partition).await().atMost(Duration.ofSeconds(60));
            publisher.publish(pending).await().atMost(Duration.ofSeconds(60));
            assigned(partition, state);
            states.put(partition, state);
            offsets.put(partition, state.committedOffset);
        }
        log.infof("%s resumes %s", stage, offsets);
        return offsets;
    }

    /** Called once a partition's state is restored and its leftovers published, before it is read. */
    void assigned(int partition, S state) {
    }

    void revoke(List<Integer> partitions) {
        partitions.forEach(states::remove);
    }

    Uni<Void> consume(KafkaRecordBatch<String, String> batch) {
        Map<Integer, List<Read<R>>> byPartition = new LinkedHashMap<>();
        for (KafkaRecord<String, String> record : batch.getRecords()) {
            IncomingKafkaRecordMetadata<?, ?> source = record.getMetadata(IncomingKafkaRecordMetadata.class)
                    .orElseThrow();
            byPartition.computeIfAbsent(source.getPartition(), p -> new ArrayList<>())
                    .add(new Read<>(source.getOffset(), parse(record.getPayload(), source)));
        }
        return Uni.createFrom().deferred(() -> attempt(byPartition))
                .onFailure(StreamStateRepository.FencedException.class).recoverWithUni(e -> {
                    fenced.increment();
                    log.warnf("%s; dropping its state until it is assigned here again", e.getMessage());
                    byPartition.keySet().forEach(states::remove);
                    return Uni.createFrom().voidItem();
                })
                .onFailure().invoke(e -> log.warnf("a %s batch failed, retrying: %s", stage, e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .call(() -> Uni.createFrom().completionStage(batch.ack()));
    }

    private Uni<Void> attempt(Map<Integer, List<Read<R>>> byPartition) {
        long started = System.nanoTime();
        Map<Integer, S> touched = new LinkedHashMap<>();
        Map<Integer, List<Read<R>>> fresh = new LinkedHashMap<>();
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        int skipped = 0;
        for (Map.Entry<Integer, List<Read<R>>> entry : byPartition.entrySet()) {
            S state = states.get(entry.getKey());
            if (state == null) {
                continue; // not ours (any more): its new owner reads it from its checkpoint
            }
            read(state);
            if (state.dirty) {
                restore(state, state.committedState); // an earlier attempt failed after changing the state
            }
            List<Read<R>> unread = new ArrayList<>(entry.getValue().size());
            long next = state.committedOffset;
            for (Read<R> read : entry.getValue()) {
                if (read.offset() < state.committedOffset) {
                    skipped++;
                } else {
                    unread.add(read);
                    next = Math.max(next, read.offset() + 1);
                }
            }
            if (!unread.isEmpty()) {
                touched.put(entry.getKey(), state);
                fresh.put(entry.getKey(), unread);
                nextOffsets.put(entry.getKey(), next);
            }
        }
        redelivered.increment(skipped);
        if (touched.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<Integer, Change> changes = new LinkedHashMap<>();
        return repository.commit(stage, conn -> {
                    touched.values().forEach(state -> state.dirty = true);
                    return process(conn, touched, fresh).map(result -> {
                        changes.putAll(result);
                        List<PartitionCommit> commits = new ArrayList<>();
                        result.forEach((partition, change) -> commits.add(new PartitionCommit(partition,
                                touched.get(partition).committedOffset, nextOffsets.get(partition),
                                change.snapshot(), change.watermark(), change.records())));
                        return commits;
                    });
                })
                .flatMap(records -> {
                    touched.forEach((partition, state) -> {
                        state.committedOffset = nextOffsets.get(partition);
                        state.committedState = changes.get(partition).snapshot();
                        state.dirty = false;
                    });
                    commitLatency.record(Duration.ofNanos(System.nanoTime() - started));
                    return publishCommitted(records, changes);
                });
    }

    byte[] snapshot(S state) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(snapshotFormat);
            writeState(state, out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void restore(S state, byte[] snapshot) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot))) {
            int format = in.readInt();
            if (format != snapshotFormat) {
                throw new IllegalStateException("a " + stage + " snapshot of format " + format + " cannot be read "
                        + "(this version writes " + snapshotFormat + "); to recompute from the log, stop every "
                        + "aggregator and empty aggregator.checkpoint, aggregator.outbox and aggregator.seen_event");
            }
            readState(state, in);
            state.dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }
}
