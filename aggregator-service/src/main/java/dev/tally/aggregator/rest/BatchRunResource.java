package dev.tally.aggregator.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.aggregator.batch.BatchRunService;
import dev.tally.aggregator.batch.SummaryJson;
import dev.tally.aggregator.store.BatchRunRepository;
import dev.tally.aggregator.store.BatchRunRepository.RunStatus;
import dev.tally.aggregator.store.BatchRunRepository.TaskStatus;
import dev.tally.contracts.Problem;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The batch runs over {@code clicks}: start one, follow it, list them, and read a completed run's summary in the
 * same bytes as {@code ./tally batch} writes. Errors are problem documents, never a 500.
 */
@Path("/admin/batch-runs")
@Produces(MediaType.APPLICATION_JSON)
public class BatchRunResource {
    private static final Duration DB_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_LIST = 500;

    @Inject
    BatchRunService service;

    @Inject
    BatchRunRepository runs;

    /** A run as the API shows it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RunView(
            @JsonProperty("run_id") String runId,
            @JsonProperty("state") String state,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("completed_at") Instant completedAt,
            @JsonProperty("duration_ms") long durationMs,
            @JsonProperty("horizon") Map<Integer, Long> horizon,
            @JsonProperty("tasks_total") int tasksTotal,
            @JsonProperty("tasks_done") int tasksDone,
            @JsonProperty("events_read") long eventsRead,
            @JsonProperty("events_counted") long eventsCounted,
            @JsonProperty("duplicates") long duplicates,
            @JsonProperty("unreadable") long unreadable,
            @JsonProperty("rows") Long rows,
            @JsonProperty("complete_until") Instant completeUntil,
            @JsonProperty("error") String error,
            @JsonProperty("partitions") List<PartitionView> partitions) {
    }

    /** The progress of one partition's task. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PartitionView(
            @JsonProperty("partition") int partition,
            @JsonProperty("task_id") String taskId,
            @JsonProperty("state") String state,
            @JsonProperty("from_offset") long fromOffset,
            @JsonProperty("offset_reached") long offsetReached,
            @JsonProperty("horizon") long horizon,
            @JsonProperty("progress") double progress,
            @JsonProperty("events_read") long eventsRead,
            @JsonProperty("attempts") int attempts,
            @JsonProperty("worker") String worker,
            @JsonProperty("error") String error) {
    }

    @POST
    public Response start(@Context UriInfo uri) {
        String runId = service.start();
        RunStatus status = runs.find(runId).await().atMost(DB_TIMEOUT).orElseThrow();
        return Response.accepted(view(status)).location(URI.create("/admin/batch-runs/" + runId)).build();
    }

    @GET
    public List<RunView> list(@QueryParam("limit") String limit) {
        int n = 20;
        if (limit != null) {
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_LIST) {
                throw new ProblemException(400, "invalid-parameter", "Invalid parameter",
                        "limit must be a whole number from 1 to " + MAX_LIST + ", not '" + limit + "'");
            }
        }
        return runs.latest(n).await().atMost(DB_TIMEOUT).stream().map(BatchRunResource::view).toList();
    }

    @GET
    @Path("/{id}")
    public RunView get(@PathParam("id") String id) {
        return view(find(id));
    }

    /** The summary of a completed run: the JSON array that {@code ./tally batch} writes, byte for byte. */
    @GET
    @Path("/{id}/summary")
    public Response summary(@PathParam("id") String id) {
        RunStatus status = find(id);
        if (!BatchRunRepository.COMPLETED.equals(status.state())) {
            throw new ProblemException(409, "batch-run-not-completed", "Batch run not completed",
                    "batch run " + id + " is " + status.state() + "; its summary exists once it is completed");
        }
        byte[] body = SummaryJson.write(runs.summary(id).await().atMost(DB_TIMEOUT));
        return Response.ok(body, MediaType.APPLICATION_JSON_TYPE).build();
    }

    private RunStatus find(String id) {
        return runs.find(id).await().atMost(DB_TIMEOUT).orElseThrow(() -> new ProblemException(404,
                "batch-run-not-found", "Batch run not found", "there is no batch run '" + id + "'"));
    }

    static RunView view(RunStatus run) {
        Map<Integer, Long> horizon = new TreeMap<>();
        int done = 0;
        long read = 0;
        long counted = 0;
        long duplicates = 0;
        long unreadable = 0;
        List<PartitionView> partitions = new java.util.ArrayList<>();
        for (TaskStatus t : run.tasks()) {
            horizon.put(t.partition(), t.toOffset());
            done += BatchRunRepository.DONE.equals(t.state()) ? 1 : 0;
            read += t.recordsRead();
            counted += t.events();
            duplicates += t.duplicates();
            unreadable += t.unreadable();
            long span = t.toOffset() - t.fromOffset();
            double progress = span == 0 ? 1.0 : Math.round(1000.0 * (t.offsetReached() - t.fromOffset()) / span)
                    / 1000.0;
            partitions.add(new PartitionView(t.partition(), t.taskId(), t.state(), t.fromOffset(), t.offsetReached(),
                    t.toOffset(), progress, t.recordsRead(), t.attempts(), t.worker(), t.error()));
        }
        Instant end = run.completedAt() != null ? run.completedAt() : Instant.now();
        return new RunView(run.runId(), run.state(), run.createdAt(), run.completedAt(),
                Duration.between(run.createdAt(), end).toMillis(), horizon, run.tasks().size(), done, read, counted,
                duplicates, unreadable, run.rows(), run.completeUntil(), run.error(), partitions);
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e, UriInfo uri) {
        return e.response(uri);
    }

    /** PostgreSQL, Kafka or the broker failed or timed out: say so, without a stack trace or a class name. */
    @ServerExceptionMapper
    public Response failed(RuntimeException e, UriInfo uri) {
        return ProblemException.unavailable(e, uri, "batch-unavailable", "Batch runs unavailable",
                "the batch runs' database or brokers did not answer in time; try again");
    }

    @ServerExceptionMapper
    public Response unavailable(BatchRunService.Unavailable e, UriInfo uri) {
        return ProblemException.response(Problem.of("batch-unavailable", "Batch run not started", 503,
                e.getMessage()).withInstance(uri.getPath(), null));
    }
}
