package dev.tally.view;

import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.HeadlessBrowser;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dashboard in a real headless Chromium: a person asks for a page's days and reads the table. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class DashboardBrowserTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL dashboard;

    @Test
    void aPersonSeesTheDailySummaryOfAPage() {
        String page = "dash-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            for (String[] day : new String[][] {{"2026-11-21", "12", "5"}, {"2026-11-22", "30", "9"}}) {
                WindowResult result = new WindowResult(page, WindowRef.utcDay(Instant.parse(day[0] + "T00:00:00Z")),
                        Long.parseLong(day[1]), Long.parseLong(day[2]), 1, false, null, Map.of(), Instant.now());
                kafka.send(Topics.PAGE_STATS, result.key(), result);
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().queryParam("from", "2026-11-21").queryParam("to", "2026-11-22")
                        .when().get("/api/pages/{page}/summary", page).then().body("days", hasSize(2)));

        try (HeadlessBrowser browser = new HeadlessBrowser()) {
            browser.open(dashboard.toString());
            assertEquals("Tally", browser.text("h1"));
            browser.type("#page", page);
            browser.script("document.getElementById('from').value = '2026-11-20';"
                    + "document.getElementById('to').value = '2026-11-23';");
            browser.click("button[type=submit]");
            String status = browser.awaitText("#status", text -> text.startsWith("2 day(s)"), Duration.ofSeconds(10));
            assertEquals("2 day(s) of " + page + ".", status);
            String table = browser.text("#summary tbody");
            assertEquals("2026-11-21 12 5 speed no\n2026-11-22 30 9 speed no", table);
            // no batch run covers November 2026 in this module's tests
            String layers = browser.text("#layers");
            assertTrue(layers.equals("No batch run yet: every day from the stream.")
                    || layers.matches("Days up to 2026-(0[1-9]|10)-\\d\\d from batch run \\S+;"
                            + " later days from the stream\\."),
                    layers);

            // a range the API refuses shows the API's reason, not a broken page
            browser.script("document.getElementById('from').value = '2026-11-23';"
                    + "document.getElementById('to').value = '2026-11-01';");
            browser.click("button[type=submit]");
            String error = browser.awaitText("#status", text -> text.contains("before"), Duration.ofSeconds(10));
            assertTrue(error.startsWith("'to' (2026-11-01) is before 'from' (2026-11-23)"), error);
        }
    }
}
