package dev.tally.ingest.rest;

import dev.tally.contracts.Problem;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Answers every error the framework raises (404, 405, 413...) as problem+json, and never shows a stack trace. */
public class ProblemMapper {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        return Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(Problem.of("http-" + status, title, status, title)).build();
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        LOG.error("unexpected error", e);
        return Response.status(500).type(Problem.MEDIA_TYPE)
                .entity(Problem.of("internal", "Internal error", 500, "the server failed; see its log")).build();
    }
}
