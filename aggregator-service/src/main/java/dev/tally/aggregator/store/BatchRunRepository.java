package dev.tally.aggregator.store;

import dev.tally.aggregator.domain.DailyCounts;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Batch runs, their tasks and the tasks' partial summaries (V5__batch_runs.sql). The two writes that matter are
 * transactions: a task's result replaces its earlier partial rows in the transaction that marks it done, and a
 * run is completed under a row lock on the run, by the first worker that sees every task done.
 */
@ApplicationScoped
public class BatchRunRepository {
    public static final String RUNNING = "running";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String PENDING = "pending";
    public static final String DONE = "done";

    /** A task as the run plans it. */
    public record TaskPlan(String taskId, int partition, long fromOffset, long toOffset) {
    }

    /** Where a task stands when a worker takes it: {@code attempts} counts this attempt if it was started. */
    public record TaskStart(boolean found, String taskState, String runState, int attempts, long fromOffset,
                            long toOffset) {
        static final TaskStart MISSING = new TaskStart(false, null, null, 0, 0, 0);
    }

    /** What one attempt of a task computed. */
    public record TaskResult(long recordsRead, long events, long duplicates, long unreadable, Instant maxEventTime,
                             List<DailyCounts.Row> rows) {
    }

    /** A task as the status endpoint shows it. */
    public record TaskStatus(String taskId, int partition, long fromOffset, long toOffset, String state, int attempts,
                             String worker, long offsetReached, long recordsRead, long events, long duplicates,
                             long unreadable, Instant maxEventTime, Instant startedAt, Instant doneAt, String error) {
    }

    /** A run and its tasks. */
    public record RunStatus(String runId, String state, Instant createdAt, Instant completedAt, Long rows,
                            Instant completeUntil, String error, List<TaskStatus> tasks) {
    }

    /** What completing a run publishes. */
    public record Completion(String runId, Map<Integer, Long> horizon, Instant completeUntil,
                             List<DailyCounts.Row> rows) {
    }

    @Inject
    Pool pool;

    /** Records a new run and its tasks, all pending. */
    public Uni<Void> create(String runId, List<TaskPlan> tasks) {
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO aggregator.batch_run (run_id, state) "
                        + "VALUES ($1, $2)").execute(Tuple.of(runId, RUNNING))
                .flatMap(done -> tasks.isEmpty() ? Uni.createFrom().voidItem() : conn.preparedQuery(
                                "INSERT INTO aggregator.batch_task (run_id, task_id, partition, from_offset, to_offset, "
                                        + "offset_reached) VALUES ($1, $2, $3, $4, $5, $4)")
                        .executeBatch(tasks.stream().map(t -> Tuple.from(Arrays.asList(runId, t.taskId(),
                                t.partition(), t.fromOffset(), t.toOffset()))).toList())
                        .replaceWithVoid()));
    }

    /**
     * A worker takes a task: unless the task is done already or its run is no longer running, it is marked running
     * on {@code worker} and its attempt counted.
     */
    public Uni<TaskStart> start(String runId, String taskId, String worker) {
        return pool.preparedQuery("SELECT t.state, r.state AS run_state, t.attempts, t.from_offset, t.to_offset "
                        + "FROM aggregator.batch_task t JOIN aggregator.batch_run r USING (run_id) "
                        + "WHERE t.run_id = $1 AND t.task_id = $2")
                .execute(Tuple.of(runId, taskId))
                .flatMap(rows -> {
                    if (rows.size() == 0) {
                        return Uni.createFrom().item(TaskStart.MISSING);
                    }
                    Row row = rows.iterator().next();
                    TaskStart current = new TaskStart(true, row.getString("state"), row.getString("run_state"),
                            row.getInteger("attempts"), row.getLong("from_offset"), row.getLong("to_offset"));
                    if (DONE.equals(current.taskState()) || !RUNNING.equals(current.runState())) {
                        return Uni.createFrom().item(current);
                    }
                    return pool.preparedQuery("UPDATE aggregator.batch_task SET state = 'running', "
                                    + "attempts = attempts + 1, worker = $3, started_at = now(), "
                                    + "offset_reached = from_offset, records_read = 0 "
                                    + "WHERE run_id = $1 AND task_id = $2 AND state <> 'done' RETURNING attempts")
                            .execute(Tuple.of(runId, taskId, worker))
                            .map(updated -> updated.size() == 0
                                    ? new TaskStart(true, DONE, current.runState(), current.attempts(),
                                    current.fromOffset(), current.toOffset())
                                    : new TaskStart(true, "running", current.runState(),
                                    updated.iterator().next().getInteger("attempts"), current.fromOffset(),
                                    current.toOffset()));
                });
    }

    /** Progress of a running attempt, for the status endpoint; an attempt that lost the task changes nothing. */
    public Uni<Void> progress(String runId, String taskId, String worker, long offsetReached, long recordsRead) {
        return pool.preparedQuery("UPDATE aggregator.batch_task SET offset_reached = $4, records_read = $5 "
                        + "WHERE run_id = $1 AND task_id = $2 AND worker = $3 AND state = 'running'")
                .execute(Tuple.of(runId, taskId, worker, offsetReached, recordsRead)).replaceWithVoid();
    }

    /**
     * Stores the result of a task, replacing whatever an earlier attempt stored, and marks it done, in one
     * transaction: a task's rows are in the table once, however often it ran.
     */
    public Uni<Void> storeResult(String runId, String taskId, String worker, TaskResult result) {
        int n = result.rows().size();
        String[] pages = new String[n];
        LocalDate[] days = new LocalDate[n];
        Long[] views = new Long[n];
        Long[] users = new Long[n];
        for (int i = 0; i < n; i++) {
            DailyCounts.Row row = result.rows().get(i);
            pages[i] = row.pageId();
            days[i] = row.date();
            views[i] = row.views();
            users[i] = row.uniqueUsers();
        }
        return pool.withTransaction(conn -> conn.preparedQuery("DELETE FROM aggregator.batch_partial "
                        + "WHERE run_id = $1 AND task_id = $2").execute(Tuple.of(runId, taskId))
                .flatMap(deleted -> n == 0 ? Uni.createFrom().voidItem() : conn.preparedQuery(
                                "INSERT INTO aggregator.batch_partial (run_id, task_id, page_id, day, views, unique_users) "
                                        + "SELECT $1, $2, * FROM unnest($3::text[], $4::date[], $5::bigint[], $6::bigint[])")
                        .execute(Tuple.from(Arrays.asList(runId, taskId, pages, days, views, users)))
                        .replaceWithVoid())
                .flatMap(inserted -> conn.preparedQuery("UPDATE aggregator.batch_task SET state = 'done', "
                                + "offset_reached = to_offset, records_read = $4, events = $5, duplicates = $6, "
                                + "unreadable = $7, max_event_time = $8, worker = $3, done_at = now(), error = NULL "
                                + "WHERE run_id = $1 AND task_id = $2")
                        .execute(Tuple.from(Arrays.asList(runId, taskId, worker, result.recordsRead(),
                                result.events(), result.duplicates(), result.unreadable(),
                                result.maxEventTime() == null ? null
                                        : OffsetDateTime.ofInstant(result.maxEventTime(), ZoneOffset.UTC))))
                        .replaceWithVoid()));
    }

    /** A task that failed for good fails its run: a failed run is not repaired, it is rerun. */
    public Uni<Void> fail(String runId, String taskId, String error) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE aggregator.batch_task SET state = 'failed', "
                        + "error = $3 WHERE run_id = $1 AND task_id = $2").execute(Tuple.of(runId, taskId, error))
                .flatMap(done -> conn.preparedQuery("UPDATE aggregator.batch_run SET state = 'failed', error = $2, "
                                + "completed_at = now() WHERE run_id = $1 AND state = 'running'")
                        .execute(Tuple.of(runId, "task " + taskId + ": " + error)))
                .replaceWithVoid());
    }

    /** Fails a whole run, for example when its tasks could not be enqueued. */
    public Uni<Void> failRun(String runId, String error) {
        return pool.preparedQuery("UPDATE aggregator.batch_run SET state = 'failed', error = $2, completed_at = now() "
                + "WHERE run_id = $1 AND state = 'running'").execute(Tuple.of(runId, error)).replaceWithVoid();
    }

    /**
     * Completes the run if every task is done and nobody completed it yet: under a row lock on the run, merges
     * the partials in one GROUP BY sorted by page (code point order) and date, hands them to {@code publish}, and
     * marks the run completed only once that succeeded; if it fails, nothing changes and a later attempt
     * completes it. Empty if the run is not ready or not running.
     */
    public Uni<Optional<Completion>> completeIfLast(String runId, Duration outOfOrderness,
                                                    Function<Completion, Uni<Void>> publish) {
        return pool.withTransaction(conn -> conn.preparedQuery("SELECT state FROM aggregator.batch_run "
                        + "WHERE run_id = $1 FOR UPDATE").execute(Tuple.of(runId))
                .flatMap(run -> {
                    if (run.size() == 0 || !RUNNING.equals(run.iterator().next().getString("state"))) {
                        return Uni.createFrom().item(Optional.<Completion>empty());
                    }
                    return conn.preparedQuery("SELECT partition, to_offset, state, max_event_time "
                                    + "FROM aggregator.batch_task WHERE run_id = $1").execute(Tuple.of(runId))
                            .flatMap(tasks -> {
                                Map<Integer, Long> horizon = new TreeMap<>();
                                Instant completeUntil = null;
                                for (Row task : tasks) {
                                    if (!DONE.equals(task.getString("state"))) {
                                        return Uni.createFrom().item(Optional.<Completion>empty());
                                    }
                                    horizon.put(task.getInteger("partition"), task.getLong("to_offset"));
                                    OffsetDateTime max = task.getOffsetDateTime("max_event_time");
                                    if (max != null) {
                                        Instant until = max.toInstant().minus(outOfOrderness);
                                        completeUntil = completeUntil == null || until.isBefore(completeUntil)
                                                ? until : completeUntil;
                                    }
                                }
                                Instant until = completeUntil;
                                return merged(conn, runId).flatMap(rows -> {
                                    Completion completion = new Completion(runId, horizon, until, rows);
                                    // clock_timestamp(), not now() (the transaction's start): the run's
                                    // duration includes the merge and the publication
                                    return publish.apply(completion)
                                            .flatMap(published -> conn.preparedQuery("UPDATE aggregator.batch_run "
                                                            + "SET state = 'completed', "
                                                            + "completed_at = clock_timestamp(), "
                                                            + "row_count = $2, complete_until = $3 WHERE run_id = $1")
                                                    .execute(Tuple.of(runId, (long) rows.size(), until == null ? null
                                                            : OffsetDateTime.ofInstant(until, ZoneOffset.UTC))))
                                            .map(updated -> Optional.of(completion));
                                });
                            });
                }));
    }

    /** The merged summary of a run's partials, sorted: the same rows the run published. */
    public Uni<List<DailyCounts.Row>> summary(String runId) {
        return pool.withConnection(conn -> merged(conn, runId));
    }

    private static Uni<List<DailyCounts.Row>> merged(SqlConnection conn, String runId) {
        return conn.preparedQuery("SELECT page_id, day, sum(views)::bigint AS views, "
                        + "sum(unique_users)::bigint AS unique_users FROM aggregator.batch_partial WHERE run_id = $1 "
                        + "GROUP BY page_id, day ORDER BY page_id COLLATE \"C\", day").execute(Tuple.of(runId))
                .map(rows -> {
                    List<DailyCounts.Row> result = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        result.add(new DailyCounts.Row(row.getString("page_id"), row.getLocalDate("day"),
                                row.getLong("views"), row.getLong("unique_users")));
                    }
                    return result;
                });
    }

    /** A run and its tasks, if it exists. */
    public Uni<Optional<RunStatus>> find(String runId) {
        return pool.preparedQuery("SELECT * FROM aggregator.batch_run WHERE run_id = $1").execute(Tuple.of(runId))
                .flatMap(runs -> {
                    if (runs.size() == 0) {
                        return Uni.createFrom().item(Optional.<RunStatus>empty());
                    }
                    Row run = runs.iterator().next();
                    return pool.preparedQuery("SELECT * FROM aggregator.batch_task WHERE run_id = $1 "
                                    + "ORDER BY partition, from_offset").execute(Tuple.of(runId))
                            .map(tasks -> Optional.of(status(run, tasks)));
                });
    }

    /** The latest runs, newest first, with their tasks. */
    public Uni<List<RunStatus>> latest(int limit) {
        return pool.preparedQuery("SELECT * FROM aggregator.batch_run ORDER BY created_at DESC, run_id DESC "
                        + "LIMIT $1").execute(Tuple.of(limit))
                .flatMap(runs -> {
                    List<Row> list = new ArrayList<>();
                    runs.forEach(list::add);
                    if (list.isEmpty()) {
                        return Uni.createFrom().item(List.<RunStatus>of());
                    }
                    String[] ids = list.stream().map(r -> r.getString("run_id")).toArray(String[]::new);
                    return pool.preparedQuery("SELECT * FROM aggregator.batch_task WHERE run_id = ANY($1) "
                                    + "ORDER BY partition, from_offset").execute(Tuple.of(ids))
                            .map(tasks -> list.stream().map(run -> status(run, filter(tasks,
                                    run.getString("run_id")))).toList());
                });
    }

    private static List<Row> filter(RowSet<Row> tasks, String runId) {
        List<Row> mine = new ArrayList<>();
        for (Row task : tasks) {
            if (task.getString("run_id").equals(runId)) {
                mine.add(task);
            }
        }
        return mine;
    }

    private static RunStatus status(Row run, Iterable<Row> tasks) {
        List<TaskStatus> list = new ArrayList<>();
        for (Row t : tasks) {
            list.add(new TaskStatus(t.getString("task_id"), t.getInteger("partition"), t.getLong("from_offset"),
                    t.getLong("to_offset"), t.getString("state"), t.getInteger("attempts"), t.getString("worker"),
                    t.getLong("offset_reached"), t.getLong("records_read"), t.getLong("events"),
                    t.getLong("duplicates"), t.getLong("unreadable"), instant(t, "max_event_time"),
                    instant(t, "started_at"), instant(t, "done_at"), t.getString("error")));
        }
        return new RunStatus(run.getString("run_id"), run.getString("state"), instant(run, "created_at"),
                instant(run, "completed_at"), run.getLong("row_count"), instant(run, "complete_until"),
                run.getString("error"), list);
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
