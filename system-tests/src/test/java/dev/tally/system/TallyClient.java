package dev.tally.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Tally's public HTTP API as a client uses it: send a click to ingest-service, read a page's daily summary from
 * view-service. Plain JDK HTTP, so that what is tested is exactly what goes over the wire.
 */
final class TallyClient {
    /** Reads and writes the JSON of requests and answers; plain, as a client in any language would. */
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    /** What ingest answered: its status and body, to put in a failure message. */
    record Answer(int status, String body) {
    }

    private final URI ingest;
    private final URI view;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    /** The write key ./tally gives ingest-service when TALLY_INGEST_KEYS is not set, as a user's README says. */
    static final String WRITE_KEY = "tally-dev-key";

    TallyClient(URI ingest, URI view) {
        this.ingest = ingest;
        this.view = view;
    }

    /** {@code POST /events}; an I/O failure is thrown, since then nobody knows whether the click was written. */
    Answer send(Click click) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(ingest.resolve("/events"))
                        .timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + WRITE_KEY)
                        .POST(HttpRequest.BodyPublishers.ofString(click.toJson()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    /** {@code method} on {@code uri} without a body (an admin or API call of any service), as status and body. */
    Answer call(String method, URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    /**
     * {@code GET /api/pages/{pageId}/summary?from&to}, as the counts per day (whichever layer each comes from).
     * Anything but a 200 whose {@code days} hold one well-formed object per day of this page is an
     * {@link AssertionError} that says what came back.
     */
    SortedMap<LocalDate, ExpectedCounts.Day> summary(String pageId, LocalDate from, LocalDate to) {
        URI uri = view.resolve("/api/pages/" + URLEncoder.encode(pageId, StandardCharsets.UTF_8) + "/summary?from="
                + from + "&to=" + to);
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + uri + " answered " + response.statusCode() + ": " + response.body());
        }
        JsonNode days;
        try {
            days = JSON.readTree(response.body()).path("days");
        } catch (IOException e) {
            throw new AssertionError("GET " + uri + " answered something that is not JSON: " + response.body());
        }
        if (!days.isArray()) {
            throw new AssertionError("GET " + uri + " answered no array of days: " + response.body());
        }
        SortedMap<LocalDate, ExpectedCounts.Day> counts = new TreeMap<>();
        for (JsonNode day : days) {
            if (!pageId.equals(day.path("page_id").asText()) || !day.path("date").isTextual()
                    || !day.path("total_views").canConvertToLong() || !day.path("unique_users").canConvertToLong()) {
                throw new AssertionError("GET " + uri + " answered a malformed day " + day + " in " + response.body());
            }
            LocalDate date = LocalDate.parse(day.get("date").asText());
            ExpectedCounts.Day previous = counts.put(date, new ExpectedCounts.Day(day.get("total_views").asLong(),
                    day.get("unique_users").asLong()));
            if (previous != null) {
                throw new AssertionError("GET " + uri + " answered " + date + " twice: " + response.body());
            }
        }
        return counts;
    }
}
