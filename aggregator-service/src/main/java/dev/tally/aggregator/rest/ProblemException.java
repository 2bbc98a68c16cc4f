package dev.tally.aggregator.rest;

import dev.tally.contracts.Problem;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;

/** An error to answer as a problem document ({@code application/problem+json}) with its own status and type. */
public final class ProblemException extends RuntimeException {
    private final Problem problem;

    public ProblemException(int status, String slug, String title, String detail) {
        super(detail, null, false, false);
        this.problem = Problem.of(slug, title, status, detail);
    }

    public Problem problem() {
        return problem;
    }

    /** This problem as an answer to the request for {@code uri}. */
    Response response(UriInfo uri) {
        return response(problem.withInstance(uri.getPath(), null));
    }

    static Response response(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    /**
     * The answer to a failure of what a resource depends on (the database, Kafka, the broker): logged with its
     * stack trace, answered as a 503 problem without one. A JAX-RS exception keeps its own response.
     */
    static Response unavailable(RuntimeException e, UriInfo uri, String slug, String title, String detail) {
        if (e instanceof jakarta.ws.rs.WebApplicationException web) {
            return web.getResponse();
        }
        Logger.getLogger(ProblemException.class).warnf(e, "%s failed", uri.getPath());
        return response(Problem.of(slug, title, 503, detail).withInstance(uri.getPath(), null));
    }
}
