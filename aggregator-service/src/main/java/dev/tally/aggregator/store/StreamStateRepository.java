package dev.tally.aggregator.store;

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
import java.util.List;
import java.util.Map;

/**
 * The stream engine's durable state: a checkpoint per stage and partition (next offset, state snapshot and deltas,
 * with stage 1's counted event ids in them, watermark) and the outbox of records still to publish. A micro-batch
 * changes both in one transaction, through {@link #commit}; that is what makes a crash at any moment harmless.
 * Set-based SQL (unnest of arrays) keeps a batch to a handful of statements, which is why this talks to the
 * reactive client directly.
 */
@ApplicationScoped
public class StreamStateRepository {

    /**
     * A stage's partition as last committed: the next offset to read, the number of the last delta written, the
     * last snapshot stored (null before the first) and the deltas written after it, oldest first.
     */
    public record Checkpoint(long nextOffset, long deltaSeq, byte[] snapshot, List<byte[]> deltas,
                             Instant watermark) {
    }

    /**
     * A record to publish once the transaction that produced it has committed. Its value is the record's bytes
     * (UTF-8 JSON), encoded once: the outbox stores them and the producer sends them as they are.
     */
    public record OutRecord(long id, String topic, String key, Integer partition, byte[] value) {
        public static OutRecord of(String topic, String key, Integer partition, byte[] value) {
            return new OutRecord(0, topic, key, partition, value);
        }
    }

    /**
     * What a batch changed of one partition (its {@code delta}, to apply after the ones before), to commit if the
     * partition's checkpoint is still where we left it: at {@code expectedOffset} after delta {@code expectedSeq}.
     * The delta is numbered {@code expectedSeq + 1}.
     */
    public record PartitionCommit(int partition, long expectedOffset, long expectedSeq, long nextOffset,
                                  byte[] delta, Instant watermark, List<OutRecord> records) {
    }

    /** Thrown when a partition's checkpoint moved on under us: another replica owns it now. */
    public static final class FencedException extends RuntimeException {
        public FencedException(String message) {
            super(message, null, false, false);
        }
    }

    @Inject
    Pool pool;

    /**
     * The partitions' checkpoints, read in one snapshot of the database (a snapshot stored meanwhile replaces deltas
     * that this read must then not miss).
     */
    public Uni<Map<Integer, Checkpoint>> load(String stage, Collection<Integer> partitions) {
        Tuple wanted = Tuple.of(stage, partitions.toArray(new Integer[0]));
        return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute()
                .flatMap(set -> conn.preparedQuery("SELECT d.partition, d.data FROM aggregator.checkpoint_delta d "
                                + "LEFT JOIN aggregator.checkpoint_snapshot s USING (stage, partition) "
                                + "WHERE d.stage = $1 AND d.partition = ANY($2) AND d.seq > coalesce(s.seq, 0) "
                                + "ORDER BY d.partition, d.seq")
                        .execute(wanted))
                .flatMap(deltaRows -> {
                    Map<Integer, List<byte[]>> deltas = new HashMap<>();
                    for (Row row : deltaRows) {
                        deltas.computeIfAbsent(row.getInteger("partition"), p -> new ArrayList<>())
                                .add(row.getBuffer("data").getBytes());
                    }
                    return conn.preparedQuery("SELECT c.partition, c.next_offset, c.delta_seq, c.watermark, s.state "
                                    + "FROM aggregator.checkpoint c "
                                    + "LEFT JOIN aggregator.checkpoint_snapshot s USING (stage, partition) "
                                    + "WHERE c.stage = $1 AND c.partition = ANY($2)")
                            .execute(wanted)
                            .map(rows -> {
                                Map<Integer, Checkpoint> result = new HashMap<>();
                                for (Row row : rows) {
                                    OffsetDateTime watermark = row.getOffsetDateTime("watermark");
                                    Buffer snapshot = row.getBuffer("state");
                                    int partition = row.getInteger("partition");
                                    result.put(partition, new Checkpoint(row.getLong("next_offset"),
                                            row.getLong("delta_seq"), snapshot == null ? null : snapshot.getBytes(),
                                            deltas.getOrDefault(partition, List.of()),
                                            watermark == null ? null : watermark.toInstant()));
                                }
                                return result;
                            });
                }));
    }

    /**
     * Runs {@code work} in a transaction and then commits each partition's delta, next offset and outbox records,
     * but only if its checkpoint is still where we last committed it; otherwise nothing of the batch is written and
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
            // not FOR UPDATE: a snapshot being stored holds a key-share lock on the row (see storeSnapshot)
            return conn.preparedQuery("SELECT partition, next_offset, delta_seq FROM aggregator.checkpoint "
                            + "WHERE stage = $1 AND partition = ANY($2) FOR NO KEY UPDATE")
                    .execute(Tuple.of(stage, partitions))
                    .flatMap(rows -> {
                        Map<Integer, long[]> stored = new HashMap<>();
                        for (Row row : rows) {
                            stored.put(row.getInteger("partition"),
                                    new long[] {row.getLong("next_offset"), row.getLong("delta_seq")});
                        }
                        for (PartitionCommit commit : commits) {
                            long[] current = stored.getOrDefault(commit.partition(), new long[2]);
                            if (current[0] != commit.expectedOffset() || current[1] != commit.expectedSeq()) {
                                return Uni.createFrom().failure(new FencedException(stage + " partition "
                                        + commit.partition() + " is at offset " + current[0] + " after delta "
                                        + current[1] + ", not " + commit.expectedOffset() + " after "
                                        + commit.expectedSeq() + ": another replica owns it"));
                            }
                        }
                        return writeDeltas(conn, stage, commits).flatMap(done -> insertOutbox(conn, stage, commits));
                    });
        }));
    }

    /** Each partition's checkpoint moves to its next offset and delta number, and the delta is kept under it. */
    private static Uni<Void> writeDeltas(SqlConnection conn, String stage, List<PartitionCommit> commits) {
        return conn.preparedQuery("WITH c AS (INSERT INTO aggregator.checkpoint (stage, partition, next_offset, "
                        + "watermark, delta_seq) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stage, partition) DO UPDATE "
                        + "SET next_offset = EXCLUDED.next_offset, watermark = EXCLUDED.watermark, "
                        + "delta_seq = EXCLUDED.delta_seq, updated_at = now()) "
                        + "INSERT INTO aggregator.checkpoint_delta (stage, partition, seq, data) VALUES ($1, $2, $5, $6)")
                .executeBatch(commits.stream().map(c -> Tuple.tuple().addString(stage).addInteger(c.partition())
                        .addLong(c.nextOffset()).addOffsetDateTime(time(c.watermark()))
                        .addLong(c.expectedSeq() + 1).addBuffer(Buffer.buffer(c.delta()))).toList())
                .replaceWithVoid();
    }

    /**
     * Stores a partition's snapshot that includes its deltas up to {@code seq}, and forgets those deltas; in a
     * transaction of its own, after the batch of delta {@code seq} committed. A snapshot older than the one stored
     * changes nothing; so does one of a checkpoint that is gone (a view version dropped) or was never committed.
     * The checkpoint's row is locked to share for a key (not to update: batches go on meanwhile), so that it
     * cannot be deleted under this.
     *
     * @return whether the snapshot is stored now
     */
    public Uni<Boolean> storeSnapshot(String stage, int partition, long seq, byte[] state) {
        return pool.withTransaction(conn -> conn.preparedQuery("WITH c AS (SELECT 1 FROM aggregator.checkpoint "
                                + "WHERE stage = $1 AND partition = $2 AND delta_seq >= $3 FOR KEY SHARE) "
                                + "INSERT INTO aggregator.checkpoint_snapshot (stage, partition, seq, state) "
                                + "SELECT $1, $2, $3, $4 FROM c ON CONFLICT (stage, partition) DO UPDATE "
                                + "SET seq = EXCLUDED.seq, state = EXCLUDED.state "
                                + "WHERE checkpoint_snapshot.seq < EXCLUDED.seq")
                .execute(Tuple.tuple().addString(stage).addInteger(partition).addLong(seq)
                        .addBuffer(Buffer.buffer(state)))
                .flatMap(stored -> conn.preparedQuery("DELETE FROM aggregator.checkpoint_delta WHERE stage = $1 "
                                + "AND partition = $2 AND seq <= (SELECT seq FROM aggregator.checkpoint_snapshot "
                                + "WHERE stage = $1 AND partition = $2)")
                        .execute(Tuple.of(stage, partition))
                        .map(deleted -> stored.rowCount() == 1)));
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
     * Forgets everything of the stages {@code stages}: their checkpoints (with the event ids they counted), deltas,
     * snapshots and outbox.
     */
    public Uni<Void> drop(List<String> stages) {
        String[] names = stages.toArray(new String[0]);
        // the checkpoints first: a snapshot being stored holds a lock on its row, and would wait for its deltas
        return pool.withTransaction(conn -> conn.preparedQuery("DELETE FROM aggregator.checkpoint WHERE stage = ANY($1)")
                .execute(Tuple.of((Object) names))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.checkpoint_delta WHERE stage = ANY($1)")
                        .execute(Tuple.of((Object) names)))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.checkpoint_snapshot WHERE stage = ANY($1)")
                        .execute(Tuple.of((Object) names)))
                .flatMap(done -> conn.preparedQuery("DELETE FROM aggregator.outbox WHERE "
                                + "split_part(owner, '-', 1) = ANY($1)")
                        .execute(Tuple.of((Object) names)))
                .replaceWithVoid());
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
