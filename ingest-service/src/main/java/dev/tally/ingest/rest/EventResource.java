package dev.tally.ingest.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.Problem;
import dev.tally.ingest.IngestConfig;
import dev.tally.ingest.domain.BatchParser;
import dev.tally.ingest.domain.BatchParser.Item;
import dev.tally.ingest.domain.BatchParser.MalformedBodyException;
import dev.tally.ingest.service.EventResult;
import dev.tally.ingest.service.IngestOutcome;
import dev.tally.ingest.service.IngestService;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The collector's endpoints. {@code POST /events} takes one event and answers 202 once Kafka has it;
 * {@code POST /events/batch} takes a JSON array or NDJSON and answers 200 with a result per event. Bad input is a
 * 4xx problem+json and a bad row on {@code clicks.invalid}; Kafka out of reach is 503 with Retry-After.
 */
@Path("/events")
public class EventResource {
    /** The media type of newline-delimited JSON. */
    public static final String NDJSON = "application/x-ndjson";

    private final IngestService ingest;
    private final IngestConfig config;
    private final BatchParser parser;
    private final DistributionSummary requestBytes;

    @Inject
    public EventResource(IngestService ingest, IngestConfig config, ObjectMapper json, MeterRegistry registry) {
        this.ingest = ingest;
        this.config = config;
        this.parser = new BatchParser(json);
        this.requestBytes = DistributionSummary.builder("tally.ingest.request.size").baseUnit("bytes")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    /** The answer to a batch. */
    public record BatchAnswer(
            @JsonProperty("accepted") long accepted,
            @JsonProperty("rejected") long rejected,
            @JsonProperty("duplicates") long duplicates,
            @JsonProperty("request_id") String requestId,
            @JsonProperty("results") List<EventResult> results) {
    }

    /** The answer to a single event. */
    public record SingleAnswer(
            @JsonProperty("status") String status,
            @JsonProperty("event_id") String eventId,
            @JsonProperty("request_id") String requestId) {
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> single(@Context RoutingContext ctx, @Context HttpHeaders headers, byte[] body) {
        Instant receivedAt = Instant.now();
        String requestId = ctx.get(IngestGate.REQUEST_ID);
        String path = "/events";
        Response early = checkBody(headers, body, false, requestId, path);
        if (early != null) {
            return Uni.createFrom().item(early);
        }
        JsonNode node;
        try {
            node = parser.single(body);
        } catch (MalformedBodyException e) {
            return rejectBody(body, e, receivedAt, requestId, path);
        }
        Item item = new Item(0, new String(body, StandardCharsets.UTF_8), body.length, node, null);
        return ingest.ingest(List.of(item), receivedAt, requestId, ctx.get(IngestGate.KEY)).map(outcome -> {
            Response refused = refusal(outcome, requestId, path);
            if (refused != null) {
                return refused;
            }
            EventResult result = outcome.results().get(0);
            return switch (result.status()) {
                case EventResult.REJECTED -> Problems.response(Problems.invalidEvent(result.errors()), requestId, path);
                case EventResult.DUPLICATE -> Response.ok(new SingleAnswer(result.status(), result.eventId(),
                        requestId)).build();
                default -> Response.accepted(new SingleAnswer(result.status(), result.eventId(), requestId)).build();
            };
        });
    }

    @POST
    @Path("/batch")
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> batch(@Context RoutingContext ctx, @Context HttpHeaders headers, byte[] body) {
        Instant receivedAt = Instant.now();
        String requestId = ctx.get(IngestGate.REQUEST_ID);
        String path = "/events/batch";
        Response early = checkBody(headers, body, true, requestId, path);
        if (early != null) {
            return Uni.createFrom().item(early);
        }
        List<Item> items;
        try {
            items = isNdjson(headers.getMediaType()) ? parser.ndjson(body) : parser.array(body);
        } catch (MalformedBodyException e) {
            return rejectBody(body, e, receivedAt, requestId, path);
        }
        if (items.isEmpty()) {
            return Uni.createFrom().item(Problems.response(Problems.malformedBody(
                    new dev.tally.contracts.InvalidEvent.FieldError("", "the batch holds no events")), requestId, path));
        }
        if (items.size() > config.maxBatchEvents()) {
            return Uni.createFrom().item(Problems.response(Problems.tooManyEvents(items.size(),
                    config.maxBatchEvents()), requestId, path));
        }
        return ingest.ingest(items, receivedAt, requestId, ctx.get(IngestGate.KEY)).map(outcome -> {
            Response refused = refusal(outcome, requestId, path);
            if (refused != null) {
                return refused;
            }
            return Response.ok(new BatchAnswer(outcome.count(EventResult.ACCEPTED),
                    outcome.count(EventResult.REJECTED), outcome.count(EventResult.DUPLICATE), requestId,
                    outcome.results())).build();
        });
    }

    /** Media type and size, checked before parsing; null when the body may be parsed. */
    private Response checkBody(HttpHeaders headers, byte[] body, boolean batch, String requestId, String path) {
        requestBytes.record(body == null ? 0 : body.length);
        MediaType type = headers.getMediaType();
        boolean json = type != null && type.isCompatible(MediaType.APPLICATION_JSON_TYPE);
        if (!json && !(batch && isNdjson(type))) {
            return Problems.response(Problems.unsupportedMediaType(batch
                    ? "Content-Type: application/json (an array) or application/x-ndjson"
                    : "Content-Type: application/json"), requestId, path);
        }
        if (body != null && body.length > config.maxRequestBytes()) {
            return Problems.response(Problems.tooLarge(body.length, config.maxRequestBytes()), requestId, path);
        }
        return null;
    }

    private Uni<Response> rejectBody(byte[] body, MalformedBodyException e, Instant receivedAt, String requestId,
                                     String path) {
        byte[] raw = body == null ? new byte[0] : body;
        return ingest.rejectBody(new String(raw, StandardCharsets.UTF_8), raw.length, e.violation(), receivedAt,
                        requestId)
                .map(done -> Problems.response(Problems.malformedBody(e.violation().toFieldError()), requestId, path));
    }

    private static Response refusal(IngestOutcome outcome, String requestId, String path) {
        return switch (outcome.refusal()) {
            case RATE_LIMITED -> Problems.response(Problems.rateLimited(), requestId, path);
            case UNAVAILABLE -> {
                Problem problem = Problems.unavailable();
                Response response = Problems.response(problem, requestId, path);
                yield outcome.results().isEmpty() ? response
                        : Response.fromResponse(response).entity(new UnavailableAnswer(problem.withInstance(path,
                                requestId), outcome.results())).build();
            }
            case NONE -> null;
        };
    }

    /** A 503 that says which events of the request were written before Kafka failed. */
    public record UnavailableAnswer(
            @JsonProperty("type") String type,
            @JsonProperty("title") String title,
            @JsonProperty("status") int status,
            @JsonProperty("detail") String detail,
            @JsonProperty("instance") String instance,
            @JsonProperty("request_id") String requestId,
            @JsonProperty("results") List<EventResult> results) {

        UnavailableAnswer(Problem problem, List<EventResult> results) {
            this(problem.type(), problem.title(), problem.status(), problem.detail(), problem.instance(),
                    problem.requestId(), results);
        }
    }

    private static boolean isNdjson(MediaType type) {
        return type != null && NDJSON.equals(type.getType() + "/" + type.getSubtype());
    }
}
