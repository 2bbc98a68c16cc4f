package dev.tally.view.store;

import dev.tally.contracts.DailySummary;
import dev.tally.view.domain.DayCounts;
import dev.tally.view.domain.EndedRun;
import dev.tally.view.domain.RunChoice;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The batch view: the rows of every batch run, their runs, and the pointer to the served run. Every write is
 * idempotent (a row is stored once per run, a run ends once, the choice of the served run is a function of the
 * runs seen), so redelivered records change nothing. Writes must run inside a transaction.
 */
@ApplicationScoped
public class BatchViewRepository implements PanacheRepositoryBase<BatchRun, String> {

    /** Stores one row of a run, unless the run lost to a newer one; the run is served once it is complete. */
    public Uni<BatchApply> applyRow(DailySummary row, Duration keepSuperseded) {
        return lockRun(row.runId()).chain(run -> {
            if (run.retired()) {
                return Uni.createFrom().item(new BatchApply(BatchApply.Outcome.RETIRED_RUN, false));
            }
            return getSession().chain(session -> session.createNativeQuery("""
                            insert into view.batch_row (run_id, page_id, day, total_views, unique_users)
                            values (:run, :page, :day, :views, :users) on conflict do nothing""")
                    .setParameter("run", row.runId()).setParameter("page", row.pageId())
                    .setParameter("day", row.date()).setParameter("views", row.totalViews())
                    .setParameter("users", row.uniqueUsers())
                    .executeUpdate()).chain(inserted -> {
                if (inserted == 0) {
                    return Uni.createFrom().item(new BatchApply(BatchApply.Outcome.ROW_REPEATED, false));
                }
                run.rowsReceived++;
                Uni<Boolean> switched = BatchRun.ENDED.equals(run.state) && run.complete()
                        ? chooseServedRun(keepSuperseded) : Uni.createFrom().item(false);
                return switched.map(s -> new BatchApply(BatchApply.Outcome.ROW_STORED, s));
            });
        });
    }

    /** Records the end of a run (once); the run is served once it is complete and newer than the served one. */
    public Uni<BatchApply> applyRunEnd(DailySummary end, String horizonJson, Duration keepSuperseded) {
        return lockRun(end.runId()).chain(run -> {
            if (run.retired()) {
                return Uni.createFrom().item(new BatchApply(BatchApply.Outcome.RETIRED_RUN, false));
            }
            if (run.rowsExpected != null) {
                return Uni.createFrom().item(new BatchApply(BatchApply.Outcome.RUN_END_REPEATED, false));
            }
            return getSession().chain(session -> session
                            .createNativeQuery("select nextval('view.batch_run_end_seq')", Long.class)
                            .getSingleResult())
                    .chain(seq -> {
                        run.state = BatchRun.ENDED;
                        run.rowsExpected = end.rows();
                        run.completeUntil = end.completeUntil();
                        run.horizon = horizonJson;
                        run.endSeq = seq;
                        run.endedAt = Instant.now();
                        return chooseServedRun(keepSuperseded);
                    })
                    .map(switched -> new BatchApply(BatchApply.Outcome.RUN_ENDED, switched));
        });
    }

    /** The run with this id, created as open if unknown, locked until the end of the transaction. */
    private Uni<BatchRun> lockRun(String runId) {
        return getSession().chain(session -> session.createNativeQuery("""
                        insert into view.batch_run (run_id, state, rows_received, first_seen_at)
                        values (:run, 'open', 0, now()) on conflict do nothing""")
                .setParameter("run", runId).executeUpdate())
                .chain(() -> findById(runId, LockModeType.PESSIMISTIC_WRITE));
    }

    /**
     * Serves the newest complete run and retires the runs older than it, all under the lock of the serving pointer,
     * then drops the rows of runs retired longer than {@code keepSuperseded} ago.
     *
     * @return true if the served run changed
     */
    Uni<Boolean> chooseServedRun(Duration keepSuperseded) {
        return getSession().chain(session -> session.flush()
                .chain(() -> session.find(ServingState.class, ServingState.ID, LockModeType.PESSIMISTIC_WRITE))
                .chain(pointer -> list("state in ?1", List.of(BatchRun.ENDED, BatchRun.CURRENT))
                        .map(runs -> switchTo(pointer, runs)))
                .call(switched -> dropRetiredRows(keepSuperseded)));
    }

    private static boolean switchTo(ServingState pointer, List<BatchRun> runs) {
        List<EndedRun> ended = runs.stream()
                .map(r -> new EndedRun(r.runId, r.completeUntil, r.endSeq, r.complete())).toList();
        Optional<EndedRun> served = RunChoice.served(ended);
        if (served.isEmpty()) {
            return false;
        }
        Instant now = Instant.now();
        List<String> outdated = RunChoice.outdated(ended, served.get()).stream().map(EndedRun::runId).toList();
        for (BatchRun run : runs) {
            if (outdated.contains(run.runId)
                    || (BatchRun.CURRENT.equals(run.state) && !run.runId.equals(served.get().runId()))) {
                run.state = BatchRun.SUPERSEDED;
                run.supersededAt = now;
            }
        }
        if (Objects.equals(pointer.currentRunId, served.get().runId())) {
            return false;
        }
        BatchRun next = runs.stream().filter(r -> r.runId.equals(served.get().runId())).findFirst().orElseThrow();
        next.state = BatchRun.CURRENT;
        next.becameCurrentAt = now;
        pointer.currentRunId = next.runId;
        pointer.switchedAt = now;
        return true;
    }

    /**
     * Deletes the rows of runs superseded at least {@code keep} ago and marks them dropped. Readers that looked up
     * the served run just before a switch keep reading the old run's rows for that long.
     *
     * @return how many rows were deleted
     */
    public Uni<Integer> dropRetiredRows(Duration keep) {
        OffsetDateTime cutoff = OffsetDateTime.ofInstant(Instant.now().minus(keep), ZoneOffset.UTC);
        return getSession().chain(session -> session.flush().chain(() -> session.createNativeQuery("""
                        with gone as (
                            update view.batch_run set state = 'dropped'
                            where state = 'superseded' and superseded_at <= :cutoff
                            returning run_id)
                        delete from view.batch_row where run_id in (select run_id from gone)""")
                .setParameter("cutoff", cutoff).executeUpdate()));
    }

    /** The served run, or null when no run has completed yet. */
    public Uni<BatchRun> served() {
        return find("select r from BatchRun r, ServingState s where s.id = ?1 and r.runId = s.currentRunId",
                ServingState.ID).firstResult();
    }

    /** The runs seen, the most recently seen first. */
    public Uni<List<BatchRun>> recent(int limit) {
        return find("order by firstSeenAt desc, runId").page(0, limit).list();
    }

    /** The rows of {@code runId} for {@code pageId} from {@code from} to {@code to} (both included), oldest first. */
    public Uni<List<DayCounts>> rows(String runId, String pageId, LocalDate from, LocalDate to) {
        return getSession().chain(session -> session.createNativeQuery("""
                        select to_char(day, 'YYYY-MM-DD'), total_views, unique_users from view.batch_row
                        where run_id = :run and page_id = :page and day between :from and :to order by day""",
                        Object[].class)
                .setParameter("run", runId).setParameter("page", pageId)
                .setParameter("from", from).setParameter("to", to)
                .getResultList())
                .map(rows -> rows.stream().map(r -> new DayCounts(LocalDate.parse((String) r[0]),
                        ((Number) r[1]).longValue(), ((Number) r[2]).longValue(), true)).toList());
    }
}
