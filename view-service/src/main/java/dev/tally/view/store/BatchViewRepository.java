package dev.tally.view.store;

import dev.tally.contracts.DailySummary;
import dev.tally.view.domain.DayCounts;
import dev.tally.view.domain.EndedRun;
import dev.tally.view.domain.RunChoice;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The batch view: the rows of every batch run, their runs, and the pointer to the served run. Every write is
 * idempotent (a row is stored once per run, a run ends once, the choice of the served run is a function of the
 * runs seen), so redelivered records change nothing. Writes go through the reactive pool, a poll of records in one
 * transaction with set-based statements ({@link #apply}); reads go through Panache.
 */
@ApplicationScoped
public class BatchViewRepository implements PanacheRepositoryBase<BatchRun, String> {

    @Inject
    Pool pool;

    /** A run-end record as the batch view keeps it. */
    public record RunEnd(String runId, long rows, Instant completeUntil, String horizonJson) {
    }

    /**
     * Applies one poll of {@code page-summaries} in one transaction: creates the runs it names and locks them (in
     * run id order, the same in every replica), stores the rows of the runs not retired in one statement (each
     * (run, page, day) once; a repeated row changes nothing) and counts them per run in the same statement, records
     * each run's end once (one statement per distinct run end, in arrival order, so that their sequence numbers
     * keep that order; a poll holds a handful at most), and then, if a run ended or rows went into a run already
     * ended (only those can complete one), serves the newest complete run under the lock of the serving pointer.
     * Whether a run is retired is decided by its state at the start of the poll: rows of a run that this poll
     * retires are stored and then dropped with it.
     */
    public Uni<BatchApply> apply(List<DailySummary> rows, List<RunEnd> ends, Duration keepSuperseded) {
        TreeSet<String> runIds = new TreeSet<>();
        rows.forEach(r -> runIds.add(r.runId()));
        ends.forEach(e -> runIds.add(e.runId()));
        if (runIds.isEmpty()) {
            return Uni.createFrom().item(new BatchApply.Tally().result(null));
        }
        String[] ids = runIds.toArray(String[]::new);
        return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO view.batch_run (run_id, state, "
                        + "rows_received, first_seen_at) SELECT id, 'open', 0, now() FROM unnest($1::text[]) AS id "
                        + "ORDER BY id ON CONFLICT DO NOTHING").execute(Tuple.of(ids))
                .chain(() -> conn.preparedQuery("SELECT run_id, state, rows_expected FROM view.batch_run "
                        + "WHERE run_id = ANY($1) ORDER BY run_id FOR UPDATE").execute(Tuple.of(ids)))
                .chain(locked -> {
                    Set<String> retired = new HashSet<>();
                    Set<String> ended = new HashSet<>();
                    for (Row run : locked) {
                        String state = run.getString("state");
                        if (BatchRun.SUPERSEDED.equals(state) || BatchRun.DROPPED.equals(state)) {
                            retired.add(run.getString("run_id"));
                        } else if (run.getLong("rows_expected") != null) {
                            ended.add(run.getString("run_id"));
                        }
                    }
                    BatchApply.Tally tally = new BatchApply.Tally();
                    // only a run's end, or rows that complete a run already ended, can change the run served
                    return storeRows(conn, rows, retired, tally)
                            .chain(storedInto -> endRuns(conn, ends, retired, ended, tally)
                                    .replaceWith(storedInto.stream().anyMatch(ended::contains)))
                            .chain(completesEnded -> !completesEnded
                                    && tally.get(BatchApply.Outcome.RUN_ENDED) == 0
                                    ? Uni.createFrom().<String>nullItem() : chooseServedRun(conn, keepSuperseded))
                            .map(tally::result);
                }));
    }

    /** Stores the rows of runs not retired; the runs that rows were stored into. */
    private Uni<Set<String>> storeRows(SqlConnection conn, List<DailySummary> rows, Set<String> retired,
                                       BatchApply.Tally tally) {
        Map<List<Object>, DailySummary> live = new LinkedHashMap<>();
        for (DailySummary row : rows) {
            if (retired.contains(row.runId())) {
                tally.add(BatchApply.Outcome.RETIRED_RUN, 1);
            } else {
                live.putIfAbsent(List.of(row.runId(), row.pageId(), row.date()), row);
            }
        }
        long offered = rows.size() - tally.get(BatchApply.Outcome.RETIRED_RUN);
        if (live.isEmpty()) {
            tally.add(BatchApply.Outcome.ROW_REPEATED, offered);
            return Uni.createFrom().item(Set.of());
        }
        int n = live.size();
        String[] runs = new String[n];
        String[] pages = new String[n];
        LocalDate[] days = new LocalDate[n];
        Long[] views = new Long[n];
        Long[] users = new Long[n];
        int i = 0;
        for (DailySummary row : live.values()) {
            runs[i] = row.runId();
            pages[i] = row.pageId();
            days[i] = row.date();
            views[i] = row.totalViews();
            users[i] = row.uniqueUsers();
            i++;
        }
        return conn.preparedQuery("WITH stored AS (INSERT INTO view.batch_row (run_id, page_id, day, total_views, "
                        + "unique_users) SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], "
                        + "$5::bigint[]) ON CONFLICT DO NOTHING RETURNING run_id), "
                        + "per_run AS (SELECT run_id, count(*) AS n FROM stored GROUP BY run_id) "
                        + "UPDATE view.batch_run b SET rows_received = b.rows_received + per_run.n FROM per_run "
                        + "WHERE b.run_id = per_run.run_id RETURNING b.run_id, per_run.n")
                .execute(Tuple.from(Arrays.asList(runs, pages, days, views, users)))
                .map(updated -> {
                    long stored = 0;
                    Set<String> storedInto = new HashSet<>();
                    for (Row row : updated) {
                        stored += row.getLong("n");
                        storedInto.add(row.getString("run_id"));
                    }
                    tally.add(BatchApply.Outcome.ROW_STORED, stored);
                    tally.add(BatchApply.Outcome.ROW_REPEATED, offered - stored);
                    return storedInto;
                });
    }

    private Uni<Void> endRuns(SqlConnection conn, List<RunEnd> ends, Set<String> retired, Set<String> ended,
                              BatchApply.Tally tally) {
        Map<String, RunEnd> first = new LinkedHashMap<>();
        for (RunEnd end : ends) {
            if (retired.contains(end.runId())) {
                tally.add(BatchApply.Outcome.RETIRED_RUN, 1);
            } else if (ended.contains(end.runId()) || first.putIfAbsent(end.runId(), end) != null) {
                tally.add(BatchApply.Outcome.RUN_END_REPEATED, 1);
            }
        }
        Uni<Void> chain = Uni.createFrom().voidItem();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        for (RunEnd end : first.values()) {
            chain = chain.chain(() -> conn.preparedQuery("UPDATE view.batch_run SET state = 'ended', "
                            + "rows_expected = $2, complete_until = $3, horizon = $4, "
                            + "end_seq = nextval('view.batch_run_end_seq'), ended_at = $5 "
                            + "WHERE run_id = $1 AND rows_expected IS NULL")
                    .execute(Tuple.from(Arrays.asList(end.runId(), end.rows(),
                            OffsetDateTime.ofInstant(end.completeUntil(), ZoneOffset.UTC), end.horizonJson(), now)))
                    .invoke(updated -> tally.add(updated.rowCount() > 0 ? BatchApply.Outcome.RUN_ENDED
                            : BatchApply.Outcome.RUN_END_REPEATED, 1))
                    .replaceWithVoid());
        }
        return chain;
    }

    /**
     * Serves the newest complete run and retires the runs older than it, all under the lock of the serving pointer,
     * then drops the rows of runs retired longer than {@code keepSuperseded} ago.
     *
     * @return the run served from now on if it changed, else null
     */
    private Uni<String> chooseServedRun(SqlConnection conn, Duration keepSuperseded) {
        return conn.preparedQuery("SELECT current_run_id FROM view.serving_state WHERE id = $1 FOR UPDATE")
                .execute(Tuple.of(ServingState.ID))
                .chain(pointer -> conn.preparedQuery("SELECT run_id, state, complete_until, end_seq, rows_received, "
                                + "rows_expected FROM view.batch_run WHERE state IN ($1, $2)")
                        .execute(Tuple.of(BatchRun.ENDED, BatchRun.CURRENT))
                        .chain(runs -> switchTo(conn, pointer.iterator().next().getString("current_run_id"), runs)))
                .call(() -> dropRetiredRows(conn, keepSuperseded));
    }

    private static Uni<String> switchTo(SqlConnection conn, String currentRunId, RowSet<Row> runs) {
        List<EndedRun> ended = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (Row run : runs) {
            Long expected = run.getLong("rows_expected");
            ended.add(new EndedRun(run.getString("run_id"), run.getOffsetDateTime("complete_until").toInstant(),
                    run.getLong("end_seq"), expected != null && run.getLong("rows_received") >= expected));
            if (BatchRun.CURRENT.equals(run.getString("state"))) {
                current.add(run.getString("run_id"));
            }
        }
        Optional<EndedRun> served = RunChoice.served(ended);
        if (served.isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        String next = served.get().runId();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<String> retire = new ArrayList<>(RunChoice.outdated(ended, served.get()).stream()
                .map(EndedRun::runId).toList());
        current.stream().filter(id -> !id.equals(next) && !retire.contains(id)).forEach(retire::add);
        Uni<Void> retired = retire.isEmpty() ? Uni.createFrom().voidItem() : conn.preparedQuery(
                        "UPDATE view.batch_run SET state = 'superseded', superseded_at = $2 WHERE run_id = ANY($1)")
                .execute(Tuple.of(retire.toArray(String[]::new), now)).replaceWithVoid();
        if (Objects.equals(currentRunId, next)) {
            return retired.replaceWith((String) null);
        }
        return retired
                .chain(() -> conn.preparedQuery("UPDATE view.batch_run SET state = 'current', "
                        + "became_current_at = $2 WHERE run_id = $1").execute(Tuple.of(next, now)))
                .chain(() -> conn.preparedQuery("UPDATE view.serving_state SET current_run_id = $2, "
                        + "switched_at = $3 WHERE id = $1").execute(Tuple.of(ServingState.ID, next, now)))
                .replaceWith(next);
    }

    /** The rows of runs superseded at least {@code keep} ago go, inside the poll's transaction. */
    private static Uni<Integer> dropRetiredRows(SqlConnection conn, Duration keep) {
        return conn.preparedQuery(DROP_RETIRED).execute(Tuple.of(cutoff(keep))).map(RowSet::rowCount);
    }

    private static OffsetDateTime cutoff(Duration keep) {
        return OffsetDateTime.ofInstant(Instant.now().minus(keep), ZoneOffset.UTC);
    }

    private static final String DROP_RETIRED = """
            with gone as (
                update view.batch_run set state = 'dropped'
                where state = 'superseded' and superseded_at <= $1
                returning run_id)
            delete from view.batch_row where run_id in (select run_id from gone)""";

    /**
     * Deletes the rows of runs superseded at least {@code keep} ago and marks them dropped. Readers that looked up
     * the served run just before a switch keep reading the old run's rows for that long.
     *
     * @return how many rows were deleted
     */
    public Uni<Integer> dropRetiredRows(Duration keep) {
        return pool.withTransaction(conn -> dropRetiredRows(conn, keep));
    }

    /**
     * The served run, or null when no run has completed yet. Plain SQL, as {@link #rows}: every summary query asks,
     * and a Hibernate session and query cost several times the statement.
     */
    public Uni<BatchRun> served() {
        return pool.preparedQuery("SELECT r.run_id, r.state, r.rows_received, r.rows_expected, r.complete_until, "
                        + "r.horizon, r.end_seq, r.first_seen_at, r.ended_at, r.became_current_at, r.superseded_at "
                        + "FROM view.serving_state s JOIN view.batch_run r ON r.run_id = s.current_run_id "
                        + "WHERE s.id = $1")
                .execute(Tuple.of(ServingState.ID))
                .map(rows -> rows.size() == 0 ? null : run(rows.iterator().next()));
    }

    /** A run read by {@link #served}, not attached to any session. */
    private static BatchRun run(Row row) {
        BatchRun run = new BatchRun();
        run.runId = row.getString("run_id");
        run.state = row.getString("state");
        run.rowsReceived = row.getLong("rows_received");
        run.rowsExpected = row.getLong("rows_expected");
        run.completeUntil = instant(row, "complete_until");
        run.horizon = row.getString("horizon");
        run.endSeq = row.getLong("end_seq");
        run.firstSeenAt = instant(row, "first_seen_at");
        run.endedAt = instant(row, "ended_at");
        run.becameCurrentAt = instant(row, "became_current_at");
        run.supersededAt = instant(row, "superseded_at");
        return run;
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    /** The runs seen, the most recently seen first. */
    public Uni<List<BatchRun>> recent(int limit) {
        return find("order by firstSeenAt desc, runId").page(0, limit).list();
    }

    /** The rows of {@code runId} for {@code pageId} from {@code from} to {@code to} (both included), oldest first. */
    public Uni<List<DayCounts>> rows(String runId, String pageId, LocalDate from, LocalDate to) {
        return pool.preparedQuery("SELECT day, total_views, unique_users FROM view.batch_row "
                        + "WHERE run_id = $1 AND page_id = $2 AND day BETWEEN $3 AND $4 ORDER BY day")
                .execute(Tuple.of(runId, pageId, from, to))
                .map(rows -> {
                    List<DayCounts> days = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        days.add(new DayCounts(row.getLocalDate("day"), row.getLong("total_views"),
                                row.getLong("unique_users"), true));
                    }
                    return days;
                });
    }
}
