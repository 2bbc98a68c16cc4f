package dev.tally.view.rest;

import dev.tally.contracts.Problem;
import dev.tally.view.reconciliation.Reconciler;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.LocalDate;

/**
 * {@code GET /api/reconciliation}: how far the speed layer drifts from the served batch run, per (page, day) key
 * and in total, over the days the run covers (optionally from {@code from} to {@code to}, for one {@code page}).
 */
@Path("/api/reconciliation")
public class ReconciliationResource {
    /** Keys listed when {@code limit} is not given. */
    static final int DEFAULT_KEYS = 1000;
    /** The most keys one answer lists; the totals always cover every key. */
    static final int MAX_KEYS = 10_000;

    @Inject
    Reconciler reconciler;

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> reconciliation(@QueryParam("from") String from, @QueryParam("to") String to,
                                        @QueryParam("page") String page,
                                        @QueryParam("differing_only") String differingOnly,
                                        @QueryParam("limit") String limit) {
        LocalDate fromDate;
        LocalDate toDate;
        boolean onlyDiffering;
        int keys;
        try {
            fromDate = QueryParams.optionalDate("from", from);
            toDate = QueryParams.optionalDate("to", to);
            onlyDiffering = QueryParams.bool("differing_only", differingOnly);
            keys = QueryParams.integer("limit", limit, DEFAULT_KEYS, 0, MAX_KEYS);
        } catch (QueryParams.Invalid e) {
            return Uni.createFrom().item(QueryParams.bad(e.getMessage()));
        }
        if (fromDate != null && toDate != null && toDate.isBefore(fromDate)) {
            return Uni.createFrom().item(QueryParams.bad("'to' (" + toDate + ") is before 'from' (" + fromDate + ")"));
        }
        String pageId = page == null || page.isBlank() ? null : page;
        return reconciler.reconcile(fromDate, toDate, pageId, onlyDiffering, keys)
                .map(report -> Response.ok(ReconciliationReport.of(report)).build());
    }
}
