package dev.tally.ingest;

import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static dev.tally.ingest.IngestTesting.event;
import static dev.tally.ingest.IngestTesting.newId;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stops the real Kafka broker: ingest answers 503 with Retry-After within a bounded time and never 2xx for an
 * event it could not write, keeps serving health and metrics, and recovers by itself once the broker is back.
 * Runs last: it takes the shared broker away for a while.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@Order(100)
class KafkaOutageTest {

    @BeforeEach
    void authenticate() {
        IngestTesting.authenticateEveryRequest();
    }

    @AfterEach
    void brokerBack() {
        LocalStackProcess.startKafka();
    }

    @Test
    void withoutKafkaIngestSays503AndRecoversAfterwards() {
        given().contentType(ContentType.JSON).body(event(newId(), "u", "/before"))
                .when().post("/events").then().statusCode(202);

        LocalStackProcess.stopKafka();
        int unavailable = 0;
        Instant until = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(until) && unavailable < 5) {
            long started = System.nanoTime();
            Response answer = given().contentType(ContentType.JSON).body(event(newId(), "u", "/during"))
                    .when().post("/events");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "an answer within the produce timeout: " + took);
            assertEquals(503, answer.statusCode(), "no 2xx while Kafka is down: " + answer.asString());
            assertEquals("1", answer.header("Retry-After"));
            assertEquals("application/problem+json", answer.contentType());
            unavailable++;
        }
        assertEquals(5, unavailable);
        // health and metrics still answer; readiness says why ingest cannot work
        given().when().get("/q/health/live").then().statusCode(200);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("tally_ingest_requests_unavailable_total"));

        LocalStackProcess.startKafka();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                given().contentType(ContentType.JSON).body(event(newId(), "u", "/after"))
                        .when().post("/events").then().statusCode(202));
    }
}
