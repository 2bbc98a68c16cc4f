package dev.tally.view.rest;

import dev.tally.view.store.ServingVersions;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.LinkedHashMap;
import java.util.Map;

/** Which view version of the stream views queries answer from, and the versions the aggregator announced. */
@Path("/api/view-versions")
@Produces(MediaType.APPLICATION_JSON)
public class ViewVersionResource {

    @Inject
    ServingVersions serving;

    @GET
    public Uni<Map<String, Object>> versions() {
        return serving.known().map(known -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("serving", serving.current());
            body.put("versions", known);
            return body;
        });
    }
}
