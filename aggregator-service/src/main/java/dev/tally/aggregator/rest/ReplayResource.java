package dev.tally.aggregator.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.aggregator.messaging.StreamEngines;
import dev.tally.aggregator.store.ViewVersionRepository;
import dev.tally.aggregator.store.ViewVersionRepository.Version;
import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersionChange;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Kappa replays: rebuild the stream views from offset 0 of {@code clicks} into a new view version, beside the
 * serving one, which readers switch to once it has caught up (see {@link StreamEngines}). Start one, follow it,
 * list the versions. Errors are problem documents, never a 500.
 */
@Path("/admin/replays")
@Produces(MediaType.APPLICATION_JSON)
public class ReplayResource {
    private static final Duration DB_TIMEOUT = Duration.ofSeconds(30);

    @Inject
    ViewVersionRepository versions;

    @Inject
    StreamEngines engines;

    /** A view version as the API shows it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VersionView(
            @JsonProperty("version") int version,
            @JsonProperty("state") String state,
            @JsonProperty("phase") String phase,
            @JsonProperty("requested_at") Instant requestedAt,
            @JsonProperty("serving_at") Instant servingAt,
            @JsonProperty("retired_at") Instant retiredAt,
            @JsonProperty("dropped_at") Instant droppedAt,
            @JsonProperty("page_stats_topic") String pageStatsTopic,
            @JsonProperty("events_replayed") Long eventsReplayed,
            @JsonProperty("events_in_log") Long eventsInLog,
            @JsonProperty("partitions") List<PartitionView> partitions) {
    }

    /** How far a replay's stage 1 has read one clicks partition. */
    public record PartitionView(
            @JsonProperty("partition") int partition,
            @JsonProperty("offset") long offset,
            @JsonProperty("end_offset") long endOffset) {
    }

    @POST
    public Response start() {
        Version started = versions.startReplay().await().atMost(DB_TIMEOUT).orElseThrow(() -> {
            Version running = versions.all().await().atMost(DB_TIMEOUT).stream()
                    .filter(v -> ViewVersionChange.REPLAYING.equals(v.state())).findFirst().orElse(null);
            return new ProblemException(409, "replay-running", "A replay is running",
                    running == null ? "a replay is running; follow it at /admin/replays"
                            : "view version " + running.version() + " is replaying since " + running.requestedAt()
                            + "; follow it at /admin/replays/" + running.version());
        });
        return Response.accepted(view(started)).location(URI.create("/admin/replays/" + started.version()))
                .build();
    }

    @GET
    public List<VersionView> list() {
        return versions.all().await().atMost(DB_TIMEOUT).stream().map(this::view).toList();
    }

    @GET
    @Path("/{version}")
    public VersionView get(@PathParam("version") String version) {
        int number;
        try {
            number = Integer.parseInt(version.trim());
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 1) {
            throw new ProblemException(400, "invalid-parameter", "Invalid parameter",
                    "a view version is a whole number from 1, not '" + version + "'");
        }
        int wanted = number;
        return view(versions.find(number).await().atMost(DB_TIMEOUT).orElseThrow(() -> new ProblemException(404,
                "view-version-not-found", "View version not found", "there is no view version " + wanted)));
    }

    private VersionView view(Version v) {
        List<PartitionView> partitions = null;
        Long replayed = null;
        Long inLog = null;
        if (ViewVersionChange.REPLAYING.equals(v.state())) {
            partitions = new ArrayList<>();
            replayed = 0L;
            inLog = 0L;
            for (StreamEngines.Progress p : engines.progress(v.version())) {
                partitions.add(new PartitionView(p.partition(), p.offset(), p.endOffset()));
                replayed += p.offset();
                inLog += p.endOffset();
            }
        }
        String pageStats = ViewVersionRepository.DROPPED.equals(v.state()) ? null
                : dev.tally.contracts.ViewVersions.topic(Topics.PAGE_STATS, v.version());
        return new VersionView(v.version(), v.state(), v.phase(), v.requestedAt(), v.servingAt(), v.retiredAt(),
                v.droppedAt(), pageStats, replayed, inLog, partitions);
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e, UriInfo uri) {
        return e.response(uri);
    }

    /** PostgreSQL or Kafka failed or timed out: say so, without a stack trace or a class name. */
    @ServerExceptionMapper
    public Response failed(RuntimeException e, UriInfo uri) {
        return ProblemException.unavailable(e, uri, "replay-unavailable", "Replays unavailable",
                "the database or Kafka did not answer in time; try again");
    }
}
