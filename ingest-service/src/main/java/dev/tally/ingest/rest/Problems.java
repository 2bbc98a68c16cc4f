package dev.tally.ingest.rest;

import dev.tally.contracts.InvalidEvent.FieldError;
import dev.tally.contracts.Problem;
import jakarta.ws.rs.core.Response;

import java.util.List;

/** The problem documents ingest answers with, one stable type per kind of refusal. */
final class Problems {
    static final String RETRY_AFTER_SECONDS = "1";

    static Problem invalidEvent(List<FieldError> errors) {
        return Problem.of("invalid-event", "Invalid event", 400, "the event was refused: " + errors.size()
                + " error(s)").withErrors(errors);
    }

    static Problem malformedBody(FieldError error) {
        return Problem.of("malformed-body", "Malformed request body", 400, error.reason()).withErrors(List.of(error));
    }

    static Problem unsupportedMediaType(String allowed) {
        return Problem.of("unsupported-media-type", "Unsupported media type", 415, "send " + allowed);
    }

    static Problem tooLarge(long size, long limit) {
        return Problem.of("request-too-large", "Request too large", 413, "the body is " + size
                + " bytes; at most " + limit + " are accepted per request");
    }

    static Problem tooManyEvents(int count, int limit) {
        return Problem.of("too-many-events", "Too many events", 413, "the batch has " + count
                + " events; at most " + limit + " are accepted per request");
    }

    static Problem unauthorized(boolean presented) {
        return Problem.of("unauthorized", "Unauthorized", 401, presented ? "the write key is not known"
                : "send a write key as Authorization: Bearer <key>");
    }

    static Problem unavailable() {
        return Problem.of("log-unavailable", "Event log unavailable", 503,
                "not every event was written to the log; send the request again (written events will be "
                        + "answered as duplicates)");
    }

    static Problem rateLimited() {
        return Problem.of("rate-limited", "Rate limit exceeded", 429,
                "this write key sends more events per second than it may; slow down and send again");
    }

    static Response response(Problem problem, String requestId, String path) {
        Response.ResponseBuilder builder = Response.status(problem.status())
                .type(Problem.MEDIA_TYPE)
                .entity(problem.withInstance(path, requestId));
        if (problem.status() == 503 || problem.status() == 429) {
            builder.header("Retry-After", RETRY_AFTER_SECONDS);
        }
        return builder.build();
    }

    private Problems() {
    }
}
