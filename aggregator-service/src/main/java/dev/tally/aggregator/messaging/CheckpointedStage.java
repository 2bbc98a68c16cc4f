package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.domain.Lz4Blobs;
import dev.tally.aggregator.domain.StateOutput;
import dev.tally.aggregator.store.StreamStateRepository;
import dev.tally.aggregator.store.StreamStateRepository.Checkpoint;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.aggregator.store.StreamStateRepository.PartitionCommit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What both stages of the stream engine share: per-partition state in memory, restored from its checkpoint on
 * assignment (after publishing what the last owner left in the outbox); micro-batches that skip records below
 * the committed offset, change the state and commit it with the next offset and the records to publish in one
 * transaction, then publish; a failed attempt restores the committed state from the store and retries; a fenced
 * partition (its checkpoint moved on under us: another replica owns it) is dropped until it is assigned here
 * again.
 * <p>
 * Checkpoints are incremental: a batch commits only what it changed (a delta), and a full snapshot replaces the
 * deltas once they add up to more than {@link #SNAPSHOT_FACTOR} times the last snapshot (or to
 * {@link #MIN_DELTA_BYTES}, or {@link #MAX_DELTAS} of them; a batch takes at most one such snapshot, unless one
 * is overdue at half as much again). What a batch writes is therefore proportional to what it changed, and a restore
 * reads at most about four times the size of the state, three in the common case. A snapshot is encoded once its
 * batch has committed, on a thread of its own while the other partitions' batches go on (the partition's records
 * wait until it is encoded), and stored beside the batches that follow (one at a time per stage), not in a batch's
 * transaction: storing megabytes took a few hundred milliseconds, and held the batch and every event in it that long.
 * The store keeps the newest snapshot and the deltas after it, so that one stored late, or not at all (a crash, a
 * failure: the next batch takes another), still restores the committed state.
 *
 * @param <S> a partition's state
 * @param <R> a record of the input topic, parsed
 */
abstract class CheckpointedStage<S extends CheckpointedStage.PartitionState, R> {

    /** Deltas may add up to this many bytes before a snapshot replaces them, however small the snapshot. */
    static final long MIN_DELTA_BYTES = 256 * 1024;
    /**
     * Deltas may add up to this many times the last snapshot. Encoding a snapshot walks the whole state (every user
     * of every open window), a sixth of the service's CPU in the aggregator benchmark with a factor of 1; with 2 a
     * snapshot comes half as often, and a restore reads about three times the state instead of twice (see
     * {@link #snapshotDue} for the most).
     */
    static final int SNAPSHOT_FACTOR = 2;
    /**
     * About this many deltas follow a snapshot at most (see {@link #snapshotDue}): a bound on the rows a restore reads;
     * the bytes' bound mostly comes first. It was 512: at 10,000 clicks/s a stage commits about 20 small batches a
     * second, so a stage-1 partition took a snapshot every 25 s or so whatever its size, and a snapshot encodes the
     * whole partition, dedup memory included (16 bytes per event id of the horizon: megabytes within minutes). With
     * 4,096 the bytes decide: a partition's snapshots came 9, 15, 25, 44 and 67 s apart as its state grew to 5.6 MB.
     */
    static final int MAX_DELTAS = 4096;

    /**
     * The bookkeeping of one partition's state: where it was last committed, what its checkpoint is made of, and
     * whether the state changed since (a failed attempt), so that it must be restored from the store first.
     */
    abstract static class PartitionState {
        long committedOffset;
        /** The number of the last delta committed. */
        long deltaSeq;
        /** The size of the last snapshot taken (stored, or on its way), 0 without one. */
        long snapshotBytes;
        /** Its size before compression. */
        long snapshotRawBytes;
        /** The deltas committed since that snapshot. */
        long deltaBytes;
        int deltas;
        boolean dirty;
        /** The last snapshot taken could not be stored: the next batch takes another. */
        volatile boolean snapshotLost;
        /** A snapshot of this partition is waiting to be stored, or being stored: no other is taken meanwhile. */
        volatile boolean snapshotPending;
        /**
         * A snapshot of this partition is being encoded, off the stage's thread: the state must not change, and the
         * partition's records wait ({@link #deferred}).
         */
        volatile boolean encoding;
    }

    /** A record read: its offset, and its value (null if unreadable: counted as read, changes nothing). */
    record Read<R>(long offset, R value) {
    }

    /** What a batch did to one partition, to commit with its state. */
    record Change(java.time.Instant watermark, List<OutRecord> records) {
    }

    private final Logger log;
    /** The stage's name in the store: {@code stage1}, or {@code v2.stage1} for view version 2. */
    protected final String stage;
    protected final ViewVersion version;
    private final int snapshotFormat;
    protected final Map<Integer, S> states = new ConcurrentHashMap<>();
    private final Counter redelivered;
    private final Counter fenced;
    private final Timer commitLatency;
    private final DistributionSummary deltaBytes;
    private final DistributionSummary snapshotBytes;
    private final DistributionSummary outboxBytes;
    private final Counter snapshotsStored;
    private final Counter snapshotsStale;
    private final Counter snapshotsFailed;
    /** The snapshots being stored, one after the other. */
    private CompletableFuture<?> snapshots = CompletableFuture.completedFuture(null);
    /**
     * Encodes snapshots, one at a time for every stage of the process: a stage-1 partition's state of a busy day is
     * megabytes, and encoding it on the stage's thread held every partition's events for up to a few hundred
     * milliseconds (a snapshot every two seconds at 10,000 clicks/s), where now only its own partition's wait.
     */
    private static final java.util.concurrent.ExecutorService ENCODER = java.util.concurrent.Executors
            .newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "tally-snapshot-encoder");
                thread.setDaemon(true);
                return thread;
            });
    /**
     * Per partition state whose snapshot is being encoded, the records read for it meanwhile, in order: applied by a
     * batch of their own once it is encoded. Only touched by the work that {@link #oneAtATime} runs.
     */
    private final Map<S, List<Read<R>>> deferred = new HashMap<>();
    /** Completes once every snapshot handed to the encoder so far is encoded and its held records applied. */
    private CompletableFuture<?> encodings = CompletableFuture.completedFuture(null);
    /** The buffer {@link #delta} encodes in; it keeps the size of the largest delta. */
    private final StateOutput deltaBuffer = new StateOutput(64 * 1024);
    private final AtomicInteger snapshotsInFlight = new AtomicInteger();
    private final DistributionSummary batchSize;
    protected final StreamStateRepository repository;
    protected final DerivedPublisher publisher;
    protected final ObjectMapper json;

    /**
     * @param stage         {@code stage1} or {@code stage2}: the tag of the stage's metrics
     * @param skippedMetric the counter of records read again below the committed offset (after a restart or a
     *                      rebalance), tagged {@code reason=already-read}
     */
    CheckpointedStage(ViewVersion version, String stage, int snapshotFormat, String skippedMetric,
                      EngineContext context) {
        this.log = Logger.getLogger(getClass());
        this.version = version;
        this.stage = version.stage(stage);
        this.snapshotFormat = snapshotFormat;
        this.repository = context.repository();
        this.publisher = context.publisher();
        this.json = context.json();
        MeterRegistry registry = context.registry();
        this.redelivered = registry.counter(skippedMetric, "reason", "already-read", "view_version", version.tag());
        this.fenced = registry.counter("tally.aggregator.partitions.fenced", "stage", stage, "view_version",
                version.tag());
        String checkpointBytes = "what a partition's checkpoint stores (compressed): a batch's delta, or a snapshot";
        this.deltaBytes = bytes("tally.aggregator.checkpoint.bytes", checkpointBytes, stage).tag("kind", "delta")
                .register(registry);
        this.snapshotBytes = bytes("tally.aggregator.checkpoint.bytes", checkpointBytes, stage)
                .tag("kind", "snapshot").register(registry);
        this.outboxBytes = bytes("tally.aggregator.outbox.bytes", "the bytes of the record values a partition's "
                + "batch writes to the outbox (stage 1: packs of partials, stage 2: JSON results), before they are "
                + "compressed and published", stage)
                .register(registry);
        this.snapshotsStored = snapshotCounter(registry, stage, "stored");
        this.snapshotsStale = snapshotCounter(registry, stage, "stale");
        this.snapshotsFailed = snapshotCounter(registry, stage, "failed");
        this.commitLatency = Timer.builder("tally.aggregator.batch.commit").tag("stage", stage)
                .tag("view_version", version.tag()).publishPercentiles(0.5, 0.99).register(registry);
        this.batchSize = DistributionSummary.builder("tally.aggregator.batch.records")
                .description("records of a batch not read before").tag("stage", stage)
                .tag("view_version", version.tag()).publishPercentiles(0.5, 0.99).register(registry);
    }

    private DistributionSummary.Builder bytes(String name, String description, String stage) {
        return DistributionSummary.builder(name).description(description)
                .baseUnit("bytes").tag("stage", stage).tag("view_version", version.tag());
    }

    private Counter snapshotCounter(MeterRegistry registry, String stage, String outcome) {
        return Counter.builder("tally.aggregator.snapshots").description("snapshots of a partition's state taken, "
                        + "by outcome: stored, stale (a newer one was stored first, or the checkpoint is gone), failed")
                .tag("stage", stage).tag("view_version", version.tag()).tag("outcome", outcome).register(registry);
    }

    abstract S newState(int partition);

    abstract void writeState(S state, DataOutput out) throws IOException;

    /** Reads a snapshot written by {@link #writeState}, in {@code format} (one that {@link #reads} accepts). */
    abstract void readState(S state, DataInputStream in, int format) throws IOException;

    /** Writes what changed since the last checkpoint (see {@link #checkpointed}). */
    abstract void writeDelta(S state, DataOutput out) throws IOException;

    /** Applies a delta written by {@link #writeDelta} to the state it was written after. */
    abstract void readDelta(S state, DataInputStream in, int format) throws IOException;

    /** The state has just been checkpointed (or restored): what changed so far is in the store. */
    abstract void checkpointed(S state);

    /**
     * The record's value, read from its bytes as they came (JSON parsers read UTF-8 faster than a decoded string), or
     * null if it is unreadable (counted as read, changes nothing).
     */
    abstract R parse(byte[] payload, int partition, long offset);

    /**
     * Applies the new records of each touched partition to its state, inside the batch's transaction; returns what
     * to commit per partition.
     */
    abstract Uni<Map<Integer, Change>> process(SqlConnection conn, Map<Integer, S> touched,
                                               Map<Integer, List<Read<R>>> fresh);

    /** After the commit: publishes the batch's records (and whatever must follow them). */
    abstract Uni<Void> publishCommitted(List<OutRecord> records, Map<Integer, Change> changes);

    /**
     * Called with every partition that had records in a poll, and again when they go into a batch (for stage 1's
     * idleness: a partition whose records wait for the batch in flight is not idle).
     */
    void read(S state) {
    }

    /** Restores the partitions' state from their checkpoints; returns the offset to resume each at. */
    Map<Integer, Long> assign(List<Integer> partitions) {
        Map<Integer, Checkpoint> checkpoints = repository.load(stage, partitions).await()
                .atMost(Duration.ofSeconds(60));
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        for (int partition : partitions) {
            S state = newState(partition);
            restore(partition, state, checkpoints.get(partition));
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

    /** The next offset to read of each partition owned here, as committed. */
    Map<Integer, Long> committedOffsets() {
        Map<Integer, Long> offsets = new java.util.TreeMap<>();
        states.forEach((partition, state) -> offsets.put(partition, state.committedOffset));
        return offsets;
    }

    /** Called once a partition's state is restored and its leftovers published, before it is read. */
    void assigned(int partition, S state) {
    }

    void revoke(List<Integer> partitions) {
        partitions.forEach(states::remove);
    }

    /**
     * Records read and parsed but not handed to the stage yet, by partition, each partition's in the order read.
     * The consumer fills one while the stage commits the previous one.
     */
    static final class Batch<R> {
        private final Map<Integer, List<Read<R>>> byPartition = new LinkedHashMap<>();
        private final Map<Integer, Integer> weightByPartition = new java.util.HashMap<>();
        private int weight;

        /** What the batch holds, in the stage's units (see {@link CheckpointedStage#weight}). */
        int weight() {
            return weight;
        }

        boolean isEmpty() {
            return byPartition.isEmpty(); // a partition is in it only with records read
        }

        /** Forgets what was read of {@code partitions} (revoked, or about to be read again from a seek). */
        void drop(java.util.Collection<Integer> partitions) {
            for (int partition : partitions) {
                byPartition.remove(partition);
                Integer dropped = weightByPartition.remove(partition); // none if its parsing ended in an error
                if (dropped != null) {
                    weight -= dropped;
                }
            }
        }
    }

    /**
     * How much of a batch a record is: 1, or for a record that carries many (a pack of partials) how many. The
     * bound of a batch is in these units, so that it bounds memory.
     */
    int weight(R value) {
        return 1;
    }

    /** Parses what one poll returned into {@code batch}. */
    void parseInto(Batch<R> batch, ConsumerRecords<byte[], byte[]> polled) {
        for (TopicPartition partition : polled.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> records = polled.records(partition);
            List<Read<R>> reads = batch.byPartition.computeIfAbsent(partition.partition(),
                    p -> new ArrayList<>(records.size()));
            int weight = 0;
            for (ConsumerRecord<byte[], byte[]> record : records) {
                R value = parse(record.value(), record.partition(), record.offset());
                reads.add(new Read<>(record.offset(), value));
                weight += value == null ? 1 : weight(value);
            }
            batch.weight += weight;
            batch.weightByPartition.merge(partition.partition(), weight, Integer::sum);
            S state = states.get(partition.partition());
            if (state != null) {
                read(state);
            }
        }
    }

    /**
     * Completes once the work queued so far (batches and ticks, and the snapshots being encoded with the batches of
     * the records held meanwhile) is done: a partition that moves away must not be committed here after its next
     * owner restored it.
     */
    synchronized CompletableFuture<?> queued() {
        // and the deletes of published outbox rows: a next owner would otherwise publish them again
        CompletableFuture<?> held = encodings.handle((ignored, error) -> null);
        return CompletableFuture.allOf(last, held).thenCompose(done -> publisher.deletes());
    }

    /** Applies a batch and commits it; completes once it is committed and published. */
    Uni<Void> consume(Batch<R> batch) {
        return oneAtATime(() -> commitRetrying(batch.byPartition));
    }

    /**
     * A batch without records for {@code partitions}: commits whatever {@link #process} makes of their states
     * with nothing new (stage 1 sends the partials it held back, before saying that a partition is idle).
     */
    Uni<Void> tick(List<Integer> partitions) {
        Map<Integer, List<Read<R>>> empty = new LinkedHashMap<>();
        partitions.forEach(p -> empty.put(p, List.of()));
        return oneAtATime(() -> commitRetrying(empty));
    }

    private Uni<Void> commitRetrying(Map<Integer, List<Read<R>>> byPartition) {
        return Uni.createFrom().deferred(() -> attempt(byPartition))
                .onFailure(StreamStateRepository.FencedException.class).recoverWithUni(e -> {
                    fenced.increment();
                    log.warnf("%s; dropping its state until it is assigned here again", e.getMessage());
                    byPartition.keySet().forEach(states::remove);
                    return Uni.createFrom().voidItem();
                })
                .onFailure().invoke(e -> log.warnf("a %s batch failed, retrying: %s", stage, e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely();
    }

    private CompletableFuture<?> last = CompletableFuture.completedFuture(null);

    /**
     * Runs the batches of the consumer and the ticks of the scheduler one at a time, in the order they come, each
     * on the Vert.x context it came from: both change the partitions' state.
     */
    private synchronized Uni<Void> oneAtATime(java.util.function.Supplier<Uni<Void>> work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<?> previous = last;
        last = done.exceptionally(e -> null);
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        previous.whenComplete((ignored, error) -> {
            Runnable run = () -> work.get().subscribe().with(done::complete, done::completeExceptionally);
            if (context != null) {
                context.runOnContext(v -> run.run());
            } else {
                run.run();
            }
        });
        return Uni.createFrom().completionStage(done);
    }

    private Uni<Void> attempt(Map<Integer, List<Read<R>>> byPartition) {
        // an earlier attempt failed after changing these states: back to what the store holds
        List<Integer> changed = byPartition.keySet().stream()
                .filter(p -> states.get(p) != null && states.get(p).dirty).toList();
        if (changed.isEmpty()) {
            return process(byPartition);
        }
        return repository.load(stage, changed).flatMap(checkpoints -> {
            changed.forEach(p -> {
                S state = states.get(p);
                if (state != null) {
                    restore(p, state, checkpoints.get(p));
                }
            });
            return process(byPartition);
        });
    }

    private Uni<Void> process(Map<Integer, List<Read<R>>> byPartition) {
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
            boolean ticked = entry.getValue().isEmpty();
            if (!ticked) {
                read(state);
            }
            if (state.encoding || deferred.containsKey(state)) {
                // its snapshot is being encoded: its records wait, in order (a tick is dropped: the next one comes)
                if (!ticked) {
                    hold(state, entry.getValue());
                }
                continue;
            }
            List<Read<R>> unread = entry.getValue();
            long next = state.committedOffset;
            int old = 0;
            for (Read<R> read : unread) {
                if (read.offset() < state.committedOffset) {
                    old++;
                } else {
                    next = Math.max(next, read.offset() + 1);
                }
            }
            if (old > 0) { // read again after a restore or a failed attempt: those are counted already
                skipped += old;
                unread = unread.stream().filter(read -> read.offset() >= state.committedOffset).toList();
            }
            if (!unread.isEmpty() || ticked) {
                touched.put(entry.getKey(), state);
                fresh.put(entry.getKey(), unread);
                nextOffsets.put(entry.getKey(), next);
            }
        }
        redelivered.increment(skipped);
        batchSize.record(fresh.values().stream().mapToInt(List::size).sum());
        if (touched.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Map<Integer, Change> changes = new LinkedHashMap<>();
        List<PartitionCommit> checkpoints = new ArrayList<>();
        long[] phases = new long[5]; // when each phase ended, for the debug log
        return repository.commit(stage, conn -> {
                    phases[0] = System.nanoTime();
                    touched.values().forEach(state -> state.dirty = true);
                    return process(conn, touched, fresh).map(result -> {
                        phases[1] = System.nanoTime();
                        changes.putAll(result);
                        List<PartitionCommit> commits = new ArrayList<>();
                        for (Map.Entry<Integer, Change> entry : result.entrySet()) {
                            int partition = entry.getKey();
                            S state = touched.get(partition);
                            commits.add(new PartitionCommit(partition, state.committedOffset, state.deltaSeq,
                                    nextOffsets.get(partition), delta(state), entry.getValue().watermark(),
                                    entry.getValue().records()));
                        }
                        checkpoints.addAll(commits);
                        phases[2] = System.nanoTime();
                        return commits;
                    });
                })
                .flatMap(records -> {
                    for (PartitionCommit commit : checkpoints) {
                        S state = touched.get(commit.partition());
                        deltaBytes.record(commit.delta().length);
                        outboxBytes.record(valueBytes(commit.records()));
                        state.committedOffset = commit.nextOffset();
                        state.deltaSeq = commit.expectedSeq() + 1;
                        state.deltaBytes += commit.delta().length;
                        state.deltas++;
                        checkpointed(state);
                        state.dirty = false;
                    }
                    commitLatency.record(Duration.ofNanos(System.nanoTime() - started));
                    phases[3] = System.nanoTime();
                    // the batch's records go out first; the next batch waits for this one anyway
                    return publishCommitted(records, changes).invoke(() -> {
                        phases[4] = System.nanoTime();
                        int handedOver = takeSnapshots(checkpoints, touched);
                        logPhases(started, phases, fresh, records.size(), checkpoints, handedOver);
                    });
                });
    }

    /**
     * Snapshots what is due of the partitions just committed, and hands them to be stored. Partitions grow alike and
     * fall due together: one due snapshot per batch, and none while another is being stored, spreads them over
     * batches; one overdue goes anyway, unless one of the same partition is still waiting ({@link #snapshotDue}: so
     * at most one per partition waits, and the bytes held are bounded by the partitions' snapshots). Sizes are as
     * stored: compressed. Returns how many were handed to the encoder.
     */
    private int takeSnapshots(List<PartitionCommit> committed, Map<Integer, S> states) {
        boolean taken = false;
        int count = 0;
        for (PartitionCommit commit : committed) {
            S state = states.get(commit.partition());
            int due = snapshotDue(state);
            if (due == 2 || due == 1 && !taken && snapshotsInFlight.get() == 0) {
                taken = true;
                count++;
                state.deltaBytes = 0;
                state.deltas = 0;
                state.snapshotLost = false;
                state.snapshotPending = true;
                state.encoding = true;
                snapshotsInFlight.incrementAndGet();
                encodeSnapshot(commit.partition(), state, state.deltaSeq);
            }
        }
        return count;
    }

    /**
     * Encodes a snapshot of the partition as committed at delta {@code seq}, off the stage's thread, and hands it to
     * be stored; then applies the partition's records that came meanwhile.
     */
    private void encodeSnapshot(int partition, S state, long seq) {
        CompletableFuture<Void> applied = new CompletableFuture<>();
        synchronized (this) {
            encodings = encodings.thenCombine(applied, (a, b) -> null);
        }
        CompletableFuture.supplyAsync(() -> {
            long started = System.nanoTime();
            byte[] snapshot = snapshot(state);
            log.debugf("%s partition %d: a snapshot of %d bytes encoded in %d ms", stage, partition, snapshot.length,
                    (System.nanoTime() - started) / 1_000_000);
            return snapshot;
        }, ENCODER).whenComplete((snapshot, error) -> {
            try {
                if (error != null) {
                    snapshotsInFlight.decrementAndGet();
                    state.snapshotPending = false;
                    state.snapshotLost = true;
                    log.warnf("a snapshot of %s partition %d could not be encoded; the next batch takes another: %s",
                            stage, partition, error.toString());
                } else {
                    snapshotBytes.record(snapshot.length);
                    state.snapshotBytes = snapshot.length;
                    store(partition, state, seq, snapshot);
                }
            } finally {
                state.encoding = false;
                oneAtATime(() -> commitRetrying(takeDeferred(partition, state))).subscribe().with(
                        ignored -> applied.complete(null), applied::completeExceptionally);
            }
        });
    }

    /**
     * Holds records of a partition whose snapshot is being encoded, after those it holds; those it already holds are
     * not held twice (a batch that failed for another partition is attempted again with the same records).
     */
    private void hold(S state, List<Read<R>> reads) {
        List<Read<R>> held = deferred.computeIfAbsent(state, s -> new ArrayList<>());
        long after = held.isEmpty() ? Long.MIN_VALUE : held.get(held.size() - 1).offset();
        for (Read<R> read : reads) {
            if (read.offset() > after) {
                held.add(read);
            }
        }
    }

    /** The records held for the partition while its snapshot was encoded; none if it is no longer ours as it was. */
    private Map<Integer, List<Read<R>>> takeDeferred(int partition, S state) {
        List<Read<R>> held = deferred.remove(state);
        return held == null || states.get(partition) != state ? Map.of() : Map.of(partition, held);
    }

    private synchronized void store(int partition, S state, long seq, byte[] snapshot) {
        snapshots = snapshots.handle((ignored, error) -> null)
                .thenCompose(ignored -> repository.storeSnapshot(stage, partition, seq, snapshot)
                        .subscribeAsCompletionStage())
                .whenComplete((stored, error) -> {
                    snapshotsInFlight.decrementAndGet();
                    state.snapshotPending = false;
                    if (error != null) {
                        snapshotsFailed.increment();
                        state.snapshotLost = true;
                        log.warnf("a snapshot of %s partition %d failed to store; the next batch takes another: %s",
                                stage, partition, error.toString());
                    } else if (stored) {
                        snapshotsStored.increment();
                    } else {
                        snapshotsStale.increment();
                    }
                });
    }

    /**
     * 0 if the partition's deltas may go on (always while a snapshot of it waits to be stored), 1 if a snapshot should
     * replace them (they add up to {@link #SNAPSHOT_FACTOR} times the snapshot, or {@link #MIN_DELTA_BYTES}, or
     * number {@link #MAX_DELTAS}; or the last snapshot was lost), 2 if it is overdue (half as much again).
     */
    static int snapshotDue(PartitionState state) {
        if (state.snapshotPending) {
            return 0;
        }
        if (state.snapshotLost) {
            return 1;
        }
        long bytesLimit = Math.max(SNAPSHOT_FACTOR * state.snapshotBytes, MIN_DELTA_BYTES);
        if (state.deltas >= MAX_DELTAS * 3 / 2 || state.deltaBytes >= bytesLimit * 3 / 2) {
            return 2;
        }
        return state.deltas >= MAX_DELTAS || state.deltaBytes >= bytesLimit ? 1 : 0;
    }

    private static long valueBytes(List<OutRecord> records) {
        long bytes = 0;
        for (OutRecord record : records) {
            bytes += record.value().length;
        }
        return bytes;
    }

    private void logPhases(long started, long[] phases, Map<Integer, List<Read<R>>> fresh, int published,
                           List<PartitionCommit> committed, int handedOver) {
        if (log.isDebugEnabled()) {
            long now = System.nanoTime();
            long deltas = committed.stream().mapToLong(c -> c.delta().length).sum();
            long records = committed.stream().mapToLong(c -> valueBytes(c.records())).sum();
            log.debugf("%s batch: %d records in, %d out; ms waiting for a connection %d, processing %d, encoding "
                            + "the delta %d, storing %d, publishing %d, handing snapshots over %d; bytes of deltas "
                            + "%d, of records %d; snapshots handed to the encoder %d", stage,
                    fresh.values().stream().mapToInt(List::size).sum(), published, (phases[0] - started) / 1_000_000,
                    (phases[1] - phases[0]) / 1_000_000, (phases[2] - phases[1]) / 1_000_000,
                    (phases[3] - phases[2]) / 1_000_000, (phases[4] - phases[3]) / 1_000_000,
                    (now - phases[4]) / 1_000_000, deltas, records, handedOver);
        }
    }

    /** A partition's whole state, as its checkpoint's snapshot. */
    byte[] snapshot(S state) {
        // a little more than the last snapshot was before compression: one array, seldom grown
        StateOutput out = encode(new StateOutput((int) Math.min(state.snapshotRawBytes + state.snapshotRawBytes / 8
                + 4096, 64 << 20)), o -> writeState(state, o));
        state.snapshotRawBytes = out.size();
        return out.toCompressedArray();
    }

    private byte[] delta(S state) {
        // one buffer for every delta of the stage (a batch's deltas are encoded one after the other on its thread):
        // a new one per delta, grown by doubling from a few KiB, was a tenth of the service's allocated bytes
        deltaBuffer.reset();
        return encode(deltaBuffer, out -> writeDelta(state, out)).toCompressedArray();
    }

    private interface Writing {
        void to(DataOutput out) throws IOException;
    }

    private interface Reading {
        void from(DataInputStream in, int format) throws IOException;
    }

    /** Writes the format and then what {@code writing} writes to {@code out}; {@code out}. */
    private StateOutput encode(StateOutput out, Writing writing) {
        try {
            out.writeInt(snapshotFormat);
            writing.to(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets a partition's state to its checkpoint (snapshot, then deltas), or to empty without one. */
    private void restore(int partition, S state, Checkpoint checkpoint) {
        byte[] stored = checkpoint == null ? null : checkpoint.snapshot();
        byte[] snapshot = stored == null ? snapshot(newState(partition)) : stored;
        state.snapshotRawBytes = read(snapshot, (in, format) -> readState(state, in, format));
        List<byte[]> deltas = checkpoint == null ? List.of() : checkpoint.deltas();
        long deltaBytes = 0;
        for (byte[] delta : deltas) {
            read(delta, (in, format) -> readDelta(state, in, format));
            deltaBytes += delta.length;
        }
        state.committedOffset = checkpoint == null ? 0 : checkpoint.nextOffset();
        state.deltaSeq = checkpoint == null ? 0 : checkpoint.deltaSeq();
        state.snapshotBytes = stored == null ? 0 : stored.length;
        state.deltaBytes = deltaBytes;
        state.deltas = deltas.size();
        state.snapshotLost = false;
        checkpointed(state);
        state.dirty = false;
    }

    /** Whether this version reads checkpoints of {@code format}: by default only the one it writes. */
    boolean reads(int format) {
        return format == snapshotFormat;
    }

    /** Reads a checkpoint's snapshot or delta, compressed or not; returns its size uncompressed. */
    private int read(byte[] data, Reading reading) {
        byte[] raw = Lz4Blobs.expand(data);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw))) {
            int format = in.readInt();
            if (!reads(format)) {
                throw new IllegalStateException("a " + stage + " checkpoint of format " + format + " cannot be read "
                        + "(this version writes " + snapshotFormat + "); to recompute from the log, stop every "
                        + "aggregator and empty aggregator.checkpoint, aggregator.checkpoint_delta, "
                        + "aggregator.checkpoint_snapshot and aggregator.outbox");
            }
            reading.from(in, format);
            return raw.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] write(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a contract record failed to serialize", e);
        }
    }
}
