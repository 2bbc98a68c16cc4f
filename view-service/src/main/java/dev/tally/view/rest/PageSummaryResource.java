package dev.tally.view.rest;

import dev.tally.contracts.Problem;
import dev.tally.view.store.PageWindowRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
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
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** {@code GET /api/pages/{pageId}/summary}: views and unique users of a page per UTC day. */
@Path("/api/pages/{pageId}/summary")
public class PageSummaryResource {
    /** The longest range one request may ask for. */
    static final int MAX_DAYS = 366;

    @Inject
    PageWindowRepository repository;

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @WithSession
    public Uni<Response> summary(@PathParam("pageId") String pageId, @QueryParam("from") String from,
                                 @QueryParam("to") String to) {
        LocalDate fromDate;
        LocalDate toDate;
        try {
            fromDate = date("from", from);
            toDate = date("to", to);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(bad(e.getMessage()));
        }
        if (toDate.isBefore(fromDate)) {
            return Uni.createFrom().item(bad("'to' (" + toDate + ") is before 'from' (" + fromDate + ")"));
        }
        if (ChronoUnit.DAYS.between(fromDate, toDate) >= MAX_DAYS) {
            return Uni.createFrom().item(bad("ask for at most " + MAX_DAYS + " days at a time"));
        }
        return repository.windows(pageId, "tumbling", "P1D", fromDate.atStartOfDay().toInstant(ZoneOffset.UTC),
                        toDate.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC))
                .map(rows -> Response.ok(rows.stream().map(row -> new DailySummaryRow(row.pageId,
                        LocalDate.ofInstant(row.windowStart, ZoneOffset.UTC), row.views, row.uniqueUsers)).toList())
                        .build());
    }

    private static LocalDate date(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("query parameter '" + name + "' is required, as YYYY-MM-DD");
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("query parameter '" + name + "' must be a date as YYYY-MM-DD, not '"
                    + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
        }
    }

    private static Response bad(String detail) {
        return Response.status(400).type(Problem.MEDIA_TYPE)
                .entity(Problem.of("invalid-query", "Invalid query", 400, detail)).build();
    }
}
