package dev.tally.aggregator.store;

import dev.tally.contracts.ClickEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The stream engine's durable state: a checkpoint per stage and partition (next offset, state snapshot,
 * watermark), the outbox of records still to publish, and the event ids already counted. A micro-batch changes
 * all three in one transaction, through {@link #commit}; that is what makes a crash at any moment harmless.
 * Set-based SQL (unnest of arrays) keeps a batch to a handful of statements, which is why this talks to the
 * reactive client directly.
 */
@ApplicationScoped
public class StreamStateRepository {

    /**
     * A stage's partition as last committed: the next offset to read, its last full snapshot and the deltas
     * written since, oldest first.
     */
    public record Checkpoint(long nextOffset, byte[] snapshot, List<byte[]> deltas, Instant watermark) {
    }

    /** A record to publish once the transaction that produced it has committed. */
    public record OutRecord(long id, String topic, String key, Integer partition, String value) {
        public static OutRecord of(String topic, String key, Integer partition, String value) {
            return new OutRecord(0, topic, key, partition, value);
        }
    }

    /**
     * The state of one partition after a batch, to commit if the partition is still where we left it: a full
     * snapshot of it ({@code full}), or only what the batch changed, to apply after the ones before.
     */
    public record PartitionCommit(int partition, long expectedOffset, long nextOffset, byte[] state, boolean full,
                                  Instant watermark, List<OutRecord> records) {
    }

    /** Thrown when a partition's checkpoint moved on under us: another replica owns it now. */
    public static final class FencedException extends RuntimeException {
        public FencedException(String message) {
            super(message, null, false, false);
        }
    }

    @Inject
    Pool pool;

    public Uni<Map<Integer, Checkpoint>> load(String stage, Collection<Integer> partitions) {
        Integer[] wanted = partitions.toArray(new Integer[0]);
        return pool.preparedQuery("SELECT partition, data FROM aggregator.checkpoint_delta "
                        + "WHERE stage = $1 AND partition = ANY($2) ORDER BY partition, seq")
                .execute(Tuple.of(stage, wanted))
                .flatMap(deltaRows -> {
                    Map<Integer, List<byte[]>> deltas = new HashMap<>();
                    for (Row row : deltaRows) {
                        deltas.computeIfAbsent(row.getInteger("partition"), p -> new ArrayList<>())
                                .add(row.getBuffer("data").getBytes());
                    }
                    return pool.preparedQuery("SELECT partition, next_offset, state, watermark "
                                    + "FROM aggregator.checkpoint WHERE stage = $1 AND partition = ANY($2)")
                            .execute(Tuple.of(stage, wanted))
                            .map(rows -> {
                                Map<Integer, Checkpoint> result = new HashMap<>();
                                for (Row row : rows) {
                                    OffsetDateTime watermark = row.getOffsetDateTime("watermark");
                                    int partition = row.getInteger("partition");
                                    result.put(partition, new Checkpoint(row.getLong("next_offset"),
                                            row.getBuffer("state").getBytes(),
                                            deltas.getOrDefault(partition, List.of()),
                                            watermark == null ? null : watermark.toInstant()));
                                }
                                return result;
                            });
                });
    }

    /**
     * Runs {@code work} in a transaction and then commits each partition's new state and outbox records, but only
     * if its checkpoint is still at the offset we last committed; otherwise nothing of the batch is written and
     * the result fails with {@link FencedException}.
     *
     * @return the committed outbox records, with their ids, to publish
     */
    public Uni<List<OutRecord>> commit(String stage, java.util.function.Function<SqlConnection,
            Uni<List<PartitionCommit>>> work) {
        return pool.withTransaction(conn -> work.apply(conn).flatMap(commits -> {
            if (commits.isEmpty()) {
                return Uni.createFrom().item(List.<OutRecord>of());
            }
            Integer[] partitions = commits.stream().map(PartitionCommit::partition).toArray(Integer[]::new);
            return conn.preparedQuery("SELECT partition, next_offset FROM aggregator.checkpoint WHERE stage = $1 "
                            + "AND partition = ANY($2) FOR UPDATE")
                    .execute(Tuple.of(stage, partitions))
                    .flatMap(rows -> {
                        Map<Integer, Long> stored = new HashMap<>();
                        for (Row row : rows) {
                            stored.put(row.getInteger("partition"), row.getLong("next_offset"));
                        }
                        for (PartitionCommit commit : commits) {
                            long current = stored.getOrDefault(commit.partition(), 0L);
                            if (current != commit.expectedOffset()) {
                                return Uni.createFrom().failure(new FencedException(stage + " partition "
                                        + commit.partition() + " is at offset " + current + ", not "
                                        + commit.expectedOffset() + ": another replica owns it"));
                            }
                        }
                        return writeSnapshots(conn, stage, commits)
                                .flatMap(done -> writeDeltas(conn, stage, commits))
                                .flatMap(done -> insertOutbox(conn, stage, commits));
                    });
        }));
    }

    private static Uni<Void> writeSnapshots(SqlConnection conn, String stage, List<PartitionCommit> commits) {
        List<PartitionCommit> full = commits.stream().filter(PartitionCommit::full).toList();
        if (full.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Tuple> upserts = full.stream().map(c -> Tuple.tuple()
                .addString(stage).addInteger(c.partition()).addLong(c.nextOffset())
                .addBuffer(Buffer.buffer(c.state())).addOffsetDateTime(time(c.watermark()))).toList();
        return conn.preparedQuery("INSERT INTO aggregator.checkpoint (stage, partition, next_offset, state, "
                        + "watermark) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stage, partition) DO UPDATE SET "
                        + "next_offset = EXCLUDED.next_offset, state = EXCLUDED.state, "
                        + "watermark = EXCLUDED.watermark, updated_at = now()")
                .executeBatch(upserts)
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.checkpoint_delta WHERE stage = $1 "
                                + "AND partition = ANY($2)")
                        .execute(Tuple.of(stage, full.stream().map(PartitionCommit::partition)
                                .toArray(Integer[]::new))))
                .replaceWithVoid();
    }

    /**
     * A delta moves the checkpoint's offset on (or leaves it, for a batch without records) and is kept beside its
     * snapshot, numbered in order; the checkpoint's row is locked, so no other writer numbers at the same time.
     */
    private static Uni<Void> writeDeltas(SqlConnection conn, String stage, List<PartitionCommit> commits) {
        List<PartitionCommit> deltas = commits.stream().filter(c -> !c.full()).toList();
        if (deltas.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery("UPDATE aggregator.checkpoint SET next_offset = $3, watermark = $4, "
                        + "updated_at = now() WHERE stage = $1 AND partition = $2")
                .executeBatch(deltas.stream().map(c -> Tuple.tuple().addString(stage).addInteger(c.partition())
                        .addLong(c.nextOffset()).addOffsetDateTime(time(c.watermark()))).toList())
                .flatMap(done -> conn.preparedQuery("INSERT INTO aggregator.checkpoint_delta (stage, partition, "
                                + "seq, data) SELECT $1, $2, coalesce(max(seq), 0) + 1, $3 "
                                + "FROM aggregator.checkpoint_delta WHERE stage = $1 AND partition = $2")
                        .executeBatch(deltas.stream().map(c -> Tuple.tuple().addString(stage)
                                .addInteger(c.partition()).addBuffer(Buffer.buffer(c.state()))).toList()))
                .replaceWithVoid();
    }

    private static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** One outbox row per partition with records: the records of the batch, in order. */
    private static Uni<List<OutRecord>> insertOutbox(SqlConnection conn, String stage,
                                                     List<PartitionCommit> commits) {
        List<PartitionCommit> producing = commits.stream().filter(c -> !c.records().isEmpty()).toList();
        if (producing.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return conn.preparedQuery("INSERT INTO aggregator.outbox (owner, records) SELECT o, r "
                        + "FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(o, r, n) ORDER BY n RETURNING id")
                .execute(Tuple.of(producing.stream().map(c -> owner(stage, c.partition())).toArray(String[]::new),
                        producing.stream().map(c -> OutboxBatch.encode(c.records()))
                                .map(io.vertx.core.buffer.Buffer::buffer) // arrays take the core type
                                .toArray(io.vertx.core.buffer.Buffer[]::new)))
                .map(rows -> {
                    List<Long> ids = new ArrayList<>();
                    for (Row row : rows) {
                        ids.add(row.getLong("id"));
                    }
                    ids.sort(null);
                    List<OutRecord> withIds = new ArrayList<>();
                    for (int i = 0; i < producing.size(); i++) {
                        long id = ids.get(i);
                        for (OutRecord r : producing.get(i).records()) {
                            withIds.add(new OutRecord(id, r.topic(), r.key(), r.partition(), r.value()));
                        }
                    }
                    return withIds;
                });
    }

    /** Records that were committed but may not have been published (a crash came between), oldest first. */
    public Uni<List<OutRecord>> pending(String stage, int partition) {
        return pool.preparedQuery("SELECT id, records FROM aggregator.outbox WHERE owner = $1 ORDER BY id")
                .execute(Tuple.of(owner(stage, partition)))
                .map(StreamStateRepository::records);
    }

    /** Any owner's records older than {@code age}: what no live replica is taking care of; {@code limit} batches. */
    public Uni<List<OutRecord>> stale(Duration age, int limit) {
        return pool.preparedQuery("SELECT id, records FROM aggregator.outbox "
                        + "WHERE created_at < now() - make_interval(secs => $1) ORDER BY id LIMIT $2")
                .execute(Tuple.of((double) age.toSeconds(), limit))
                .map(StreamStateRepository::records);
    }

    public Uni<Void> published(List<OutRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("DELETE FROM aggregator.outbox WHERE id = ANY($1)")
                .execute(Tuple.of((Object) records.stream().map(OutRecord::id).distinct().toArray(Long[]::new)))
                .replaceWithVoid();
    }

    /**
     * Which of the events count: those whose ids were never counted before in view version {@code viewVersion},
     * by position in {@code events}; records their ids as counted, in the caller's transaction. An id that occurs
     * twice in {@code events} counts at its first position.
     */
    public Uni<boolean[]> firstSeen(SqlConnection conn, int viewVersion, List<ClickEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(new boolean[0]);
        }
        return conn.preparedQuery("INSERT INTO aggregator.seen_event (view_version, event_id) "
                        + "SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id")
                .execute(Tuple.of(viewVersion, events.stream().map(ClickEvent::eventId).toArray(String[]::new)))
                .map(rows -> {
                    Set<String> firsts = new HashSet<>(rows.size() * 2);
                    for (Row row : rows) {
                        firsts.add(row.getString(0));
                    }
                    boolean[] counts = new boolean[events.size()];
                    for (int i = 0; i < counts.length; i++) {
                        counts[i] = firsts.remove(events.get(i).eventId());
                    }
                    return counts;
                });
    }

    /** The next offset of every partition of {@code stage} that has a checkpoint, by partition. */
    public Uni<Map<Integer, Long>> nextOffsets(String stage) {
        return pool.preparedQuery("SELECT partition, next_offset FROM aggregator.checkpoint WHERE stage = $1")
                .execute(Tuple.of(stage))
                .map(rows -> {
                    Map<Integer, Long> offsets = new java.util.TreeMap<>();
                    for (Row row : rows) {
                        offsets.put(row.getInteger("partition"), row.getLong("next_offset"));
                    }
                    return offsets;
                });
    }

    /**
     * Forgets everything of the stages {@code stages} of view version {@code viewVersion}: their checkpoints,
     * deltas and outbox, and the event ids the version counted.
     */
    public Uni<Void> drop(int viewVersion, List<String> stages) {
        String[] names = stages.toArray(new String[0]);
        return pool.withTransaction(conn -> conn.preparedQuery("DELETE FROM aggregator.checkpoint_delta "
                        + "WHERE stage = ANY($1)").execute(Tuple.of((Object) names))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.checkpoint WHERE stage = ANY($1)")
                        .execute(Tuple.of((Object) names)))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.outbox WHERE "
                                + "split_part(owner, '-', 1) = ANY($1)")
                        .execute(Tuple.of((Object) names)))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.seen_event WHERE view_version = $1")
                        .execute(Tuple.of(viewVersion)))
                .replaceWithVoid());
    }

    /** Forgets counted event ids older than {@code horizon}; returns how many. */
    public Uni<Integer> pruneSeen(Duration horizon) {
        return pool.preparedQuery("DELETE FROM aggregator.seen_event WHERE seen_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) horizon.toSeconds()))
                .map(rows -> rows.rowCount());
    }

    static String owner(String stage, int partition) {
        return stage + "-" + partition;
    }

    private static List<OutRecord> records(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<OutRecord> result = new ArrayList<>();
        for (Row row : rows) {
            result.addAll(OutboxBatch.decode(row.getLong("id"), row.getBuffer("records").getBytes()));
        }
        return result;
    }
}
