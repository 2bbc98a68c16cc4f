package dev.tally.view;

import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** page-stats records on the real Kafka become rows of the summary endpoint, newest version winning. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class PageSummaryResourceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static WindowResult result(String page, String day, long views, long users, long version) {
        WindowRef window = WindowRef.utcDay(Instant.parse(day + "T00:00:00Z"));
        return new WindowResult(page, window, views, users, version, false, null, Map.of(0, 10L), Instant.now());
    }

    @Test
    void summaryHoldsTheNewestVersionOfEachDay() {
        String page = "page-" + UUID.randomUUID();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            WindowResult v1 = result(page, "2026-11-22", 5, 2, 1);
            WindowResult v3 = result(page, "2026-11-22", 9, 4, 3);
            WindowResult v2 = result(page, "2026-11-22", 7, 3, 2); // arrives after v3: must be ignored
            WindowResult other = result(page, "2026-11-23", 1, 1, 1);
            for (WindowResult r : new WindowResult[] {v1, v3, v2, other}) {
                kafka.send(Topics.PAGE_STATS, r.key(), r);
            }
            // a marker written last: once it shows, every record before it on its partition was applied
            WindowResult marker = result(page, "2026-11-24", 1, 1, 1);
            kafka.send(Topics.PAGE_STATS, marker.key(), marker);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().queryParam("from", "2026-11-22").queryParam("to", "2026-11-24")
                        .when().get("/api/pages/{page}/summary", page)
                        .then().statusCode(200).body("days", hasSize(3)));
        given().queryParam("from", "2026-11-22").queryParam("to", "2026-11-23")
                .when().get("/api/pages/{page}/summary", page)
                .then().statusCode(200)
                .body("page_id", equalTo(page))
                .body("from", equalTo("2026-11-22"))
                .body("to", equalTo("2026-11-23"))
                .body("days.date", contains("2026-11-22", "2026-11-23"))
                .body("days.total_views", contains(9, 1))
                .body("days.unique_users", contains(4, 1))
                .body("days.page_id[0]", equalTo(page))
                // no batch run covers November 2026 in this module's tests: the stream's windows, not final yet
                .body("days.layer", contains("speed", "speed"))
                .body("days.final", contains(false, false));
        // how long results took from stage 2 to the table: timed for each result written
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher count = Pattern.compile("(?m)^tally_view_results_delay_seconds_count(?:\\{[^}]*})? (\\S+)$")
                .matcher(metrics);
        assertTrue(count.find() && Double.parseDouble(count.group(1)) >= 3,
                "tally_view_results_delay_seconds_count counts the results written");
    }

    @Test
    void badDatesAreAProblemNotAnError() {
        given().queryParam("from", "yesterday").queryParam("to", "2026-11-23")
                .when().get("/api/pages/home/summary")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/invalid-query"))
                .body("detail", equalTo("query parameter 'from' must be a date as YYYY-MM-DD, not 'yesterday'"));
        given().queryParam("from", "2026-11-23")
                .when().get("/api/pages/home/summary")
                .then().statusCode(400)
                .contentType("application/problem+json");
        given().queryParam("from", "2026-11-23").queryParam("to", "2026-11-01")
                .when().get("/api/pages/home/summary")
                .then().statusCode(400);
    }

    @Test
    void anUnknownPageHasAnEmptySummary() {
        given().queryParam("from", "2026-11-01").queryParam("to", "2026-11-30")
                .when().get("/api/pages/{page}/summary", "never-seen-" + UUID.randomUUID())
                .then().statusCode(200).body("days", hasSize(0));
    }
}
