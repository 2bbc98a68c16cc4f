package dev.tally.view.rest;

import dev.tally.contracts.Problem;
import dev.tally.view.domain.DayCounts;
import dev.tally.view.domain.LambdaMerge;
import dev.tally.view.domain.ServedDay;
import dev.tally.view.store.BatchRun;
import dev.tally.view.store.BatchViewRepository;
import dev.tally.view.store.PageWindowRepository;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code GET /api/pages/{pageId}/summary}: views and unique users of a page per UTC day, Lambda style: the days the
 * served batch run covers completely from the batch view, the others from the stream's 1-day windows. Three plain
 * SQL queries, no Hibernate session: dashboards and the latency benchmark ask it many times a second.
 */
@Path("/api/pages/{pageId}/summary")
public class PageSummaryResource {
    /** The longest range one request may ask for. */
    static final int MAX_DAYS = 366;

    @Inject
    PageWindowRepository windows;

    @Inject
    dev.tally.view.store.ServingVersions serving;

    @Inject
    BatchViewRepository batch;

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> summary(@PathParam("pageId") String pageId, @QueryParam("from") String from,
                                 @QueryParam("to") String to) {
        LocalDate fromDate;
        LocalDate toDate;
        try {
            fromDate = QueryParams.date("from", from);
            toDate = QueryParams.date("to", to);
        } catch (QueryParams.Invalid e) {
            return Uni.createFrom().item(QueryParams.bad(e.getMessage()));
        }
        if (toDate.isBefore(fromDate)) {
            return Uni.createFrom().item(QueryParams.bad("'to' (" + toDate + ") is before 'from' (" + fromDate + ")"));
        }
        if (ChronoUnit.DAYS.between(fromDate, toDate) >= MAX_DAYS) {
            return Uni.createFrom().item(QueryParams.bad("ask for at most " + MAX_DAYS + " days at a time"));
        }
        // the served run is looked up once, so that every day of one answer comes from the same run
        return batch.served().chain(run -> batchRows(run, pageId, fromDate, toDate)
                .chain(rows -> speedWindows(run, pageId, fromDate, toDate)
                        .map(speed -> {
                            List<ServedDay> days = LambdaMerge.merge(fromDate, toDate,
                                    run == null ? null : run.completeUntil, byDate(rows), byDate(speed));
                            return Response.ok(new PageSummary(pageId, fromDate, toDate, BatchRunRef.of(run),
                                    days.stream().map(day -> new DailySummaryRow(pageId, day.date(), day.views(),
                                            day.uniqueUsers(), day.layer().label(), day.isFinal())).toList())).build();
                        })));
    }

    private Uni<List<DayCounts>> batchRows(BatchRun run, String pageId, LocalDate from, LocalDate to) {
        LocalDate last = run == null ? null : LambdaMerge.lastCoveredDay(run.completeUntil);
        if (last == null || last.isBefore(from)) {
            return Uni.createFrom().item(List.of());
        }
        return batch.rows(run.runId, pageId, from, last.isBefore(to) ? last : to);
    }

    /** The speed layer's 1-day windows of the days the run does not cover. */
    private Uni<List<DayCounts>> speedWindows(BatchRun run, String pageId, LocalDate from, LocalDate to) {
        LocalDate last = run == null ? null : LambdaMerge.lastCoveredDay(run.completeUntil);
        LocalDate first = last != null && !last.isBefore(from) ? last.plusDays(1) : from;
        if (first.isAfter(to)) {
            return Uni.createFrom().item(List.of());
        }
        return windows.days(serving.current(), pageId, first, to);
    }

    private static Map<LocalDate, DayCounts> byDate(List<DayCounts> days) {
        return days.stream().collect(Collectors.toMap(DayCounts::date, Function.identity(), (a, b) -> b));
    }
}
