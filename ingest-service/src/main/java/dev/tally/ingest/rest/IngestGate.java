package dev.tally.ingest.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.Problem;
import dev.tally.ingest.IngestConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Optional;
import java.util.UUID;

/**
 * Runs before an event request's body is read: gives the request its id, checks the write key (401) and the
 * declared body size (413), so that a request to be refused costs nothing more than its headers.
 */
@ApplicationScoped
public class IngestGate {
    /** Routing-context key of the request id. */
    static final String REQUEST_ID = "tally.request-id";
    /** Routing-context key of the write key's fingerprint. */
    static final String KEY = "tally.key";

    @Inject
    IngestConfig config;

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry registry;

    private WriteKeys keys;
    private Counter unauthorized;
    private Counter tooLarge;

    void install(@Observes Router router) {
        keys = new WriteKeys(config.keys());
        unauthorized = registry.counter("tally.ingest.requests.unauthorized");
        tooLarge = registry.counter("tally.ingest.events.rejected", "reason", "request-size");
        router.route("/events*").order(-100).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        String given = ctx.request().getHeader("X-Request-Id");
        String requestId = given != null && !given.isBlank() && given.length() <= 128
                && given.chars().noneMatch(Character::isISOControl) ? given : UUID.randomUUID().toString();
        ctx.put(REQUEST_ID, requestId);
        ctx.response().putHeader("X-Request-Id", requestId);
        String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        Optional<String> key = keys.authenticate(authorization);
        if (key.isEmpty()) {
            unauthorized.increment();
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tally-ingest\"");
            refuse(ctx, Problems.unauthorized(authorization != null), requestId);
            return;
        }
        ctx.put(KEY, key.get());
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            try {
                long declared = Long.parseLong(length.trim());
                if (declared > config.maxRequestBytes()) {
                    tooLarge.increment();
                    refuse(ctx, Problems.tooLarge(declared, config.maxRequestBytes()), requestId);
                    return;
                }
            } catch (NumberFormatException e) {
                refuse(ctx, Problem.of("malformed-request", "Malformed request", 400,
                        "Content-Length is not a number"), requestId);
                return;
            }
        }
        ctx.next();
    }

    private void refuse(RoutingContext ctx, Problem problem, String requestId) {
        try {
            ctx.response().setStatusCode(problem.status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .putHeader(HttpHeaders.CONNECTION, "close")
                    .end(json.writeValueAsString(problem.withInstance(ctx.request().path(), requestId)));
        } catch (JsonProcessingException e) {
            ctx.fail(e);
        }
    }
}
