package dev.tally.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.InvalidEvent;
import dev.tally.contracts.InvalidEvent.FieldError;
import dev.tally.contracts.Problem;
import dev.tally.ingest.IngestConfig;
import dev.tally.ingest.domain.EventValidator;
import dev.tally.ingest.messaging.ClickPublisher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /events}: one click event. The answer is 202 only after Kafka has acknowledged the record; a bad
 * event is 400 with every reason, and is kept on {@code clicks.invalid}; Kafka out of reach is 503.
 */
@Path("/events")
public class EventResource {
    private static final Logger LOG = Logger.getLogger(EventResource.class);

    private final ClickPublisher publisher;
    private final ObjectMapper json;
    private final EventValidator validator;
    private final IngestConfig config;
    private final Counter accepted;
    private final Counter rejected;
    private final Counter unavailable;

    @Inject
    public EventResource(ClickPublisher publisher, ObjectMapper json, IngestConfig config, MeterRegistry registry) {
        this.publisher = publisher;
        this.json = json;
        this.config = config;
        this.validator = new EventValidator(config.maxClockSkew());
        this.accepted = registry.counter("tally.ingest.events.accepted");
        this.rejected = registry.counter("tally.ingest.events.rejected", "reason", "invalid");
        this.unavailable = registry.counter("tally.ingest.requests.unavailable");
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    public Uni<Response> post(@Context HttpHeaders headers, String body) {
        Instant receivedAt = Instant.now();
        String requestId = requestId(headers);
        MediaType type = headers.getMediaType();
        if (type == null || !type.isCompatible(MediaType.APPLICATION_JSON_TYPE)) {
            return Uni.createFrom().item(problem(Problem.of("unsupported-media-type", "Unsupported media type", 415,
                    "send the event as Content-Type: application/json"), requestId));
        }
        if (body == null || body.isBlank()) {
            return rejectAll(body, List.of(new FieldError("", "the request body is empty")), requestId, receivedAt);
        }
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (JsonProcessingException e) {
            return rejectAll(body, List.of(new FieldError("", "the body is not valid JSON: "
                    + e.getOriginalMessage())), requestId, receivedAt);
        }
        EventValidator.Result result = validator.validate(node, receivedAt);
        if (!result.valid()) {
            return rejectAll(body, result.errors(), requestId, receivedAt);
        }
        return publisher.publish(result.event())
                .ifNoItem().after(config.produceTimeout()).fail()
                .onItem().transform(done -> {
                    accepted.increment();
                    return Response.accepted(Map.of("event_id", result.event().eventId(), "status", "accepted",
                            "request_id", requestId)).header("X-Request-Id", requestId).build();
                })
                .onFailure().recoverWithItem(failure -> {
                    unavailable.increment();
                    LOG.warnf("request %s: Kafka did not acknowledge event %s: %s", requestId,
                            result.event().eventId(), failure.toString());
                    return Response.fromResponse(problem(Problem.of("log-unavailable", "Event log unavailable", 503,
                                    "the event was not written; retry later"), requestId))
                            .header("Retry-After", "1").build();
                });
    }

    /** Keeps the bad input on {@code clicks.invalid}, then answers 400 with every reason. */
    private Uni<Response> rejectAll(String raw, List<FieldError> errors, String requestId, Instant receivedAt) {
        rejected.increment();
        Response answer = problem(Problem.of("invalid-event", "Invalid event", 400,
                "the event was refused: " + errors.size() + " error(s)").withErrors(errors), requestId);
        return publisher.publishInvalid(new InvalidEvent(raw == null ? "" : raw, errors, receivedAt, requestId))
                .ifNoItem().after(config.produceTimeout()).fail()
                .onFailure().invoke(failure -> LOG.warnf("request %s: bad row not recorded on clicks.invalid: %s",
                        requestId, failure.toString()))
                .onItemOrFailure().transform((done, failure) -> answer);
    }

    static Response problem(Problem problem, String requestId) {
        return Response.status(problem.status())
                .type(Problem.MEDIA_TYPE)
                .header("X-Request-Id", requestId)
                .entity(problem.withInstance("/events", requestId))
                .build();
    }

    private static String requestId(HttpHeaders headers) {
        String given = headers.getHeaderString("X-Request-Id");
        if (given != null && !given.isBlank() && given.length() <= 128) {
            return given;
        }
        return UUID.randomUUID().toString();
    }
}
