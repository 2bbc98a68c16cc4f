package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.tally.contracts.Problem;
import dev.tally.view.store.BatchRun;
import dev.tally.view.store.BatchViewRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;

/**
 * {@code GET /api/batch-runs}: the batch runs view-service has seen on {@code page-summaries}, the most recently
 * seen first, with their state: why a run is or is not served.
 */
@Path("/api/batch-runs")
public class BatchRunResource {

    /** One run as view-service knows it. */
    public record Run(
            @JsonProperty("run_id") String runId,
            @JsonProperty("state") String state,
            @JsonProperty("rows_received") long rowsReceived,
            @JsonProperty("rows_expected") Long rowsExpected,
            @JsonProperty("complete_until") Instant completeUntil,
            @JsonProperty("horizon") @JsonRawValue String horizon,
            @JsonProperty("first_seen_at") Instant firstSeenAt,
            @JsonProperty("ended_at") Instant endedAt,
            @JsonProperty("became_current_at") Instant becameCurrentAt,
            @JsonProperty("superseded_at") Instant supersededAt) {

        static Run of(BatchRun r) {
            return new Run(r.runId, r.state, r.rowsReceived, r.rowsExpected, r.completeUntil, r.horizon,
                    r.firstSeenAt, r.endedAt, r.becameCurrentAt, r.supersededAt);
        }
    }

    @Inject
    BatchViewRepository batch;

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @WithSession
    public Uni<Response> runs(@QueryParam("limit") String limit) {
        int n;
        try {
            n = QueryParams.integer("limit", limit, 20, 1, 1000);
        } catch (QueryParams.Invalid e) {
            return Uni.createFrom().item(QueryParams.bad(e.getMessage()));
        }
        return batch.recent(n).map(runs -> Response.ok(runs.stream().map(Run::of).toList()).build());
    }
}
