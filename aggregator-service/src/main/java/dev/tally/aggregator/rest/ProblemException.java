package dev.tally.aggregator.rest;

import dev.tally.contracts.Problem;
import jakarta.ws.rs.core.Response;

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

    static Response response(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
