package dev.tally.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.Headers;
import dev.tally.contracts.Topics;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@org.junit.jupiter.api.Order(1)
class EventResourceTest {

    @org.junit.jupiter.api.BeforeEach
    void authenticate() {
        IngestTesting.authenticateEveryRequest();
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void acceptedEventIsOnTheClicksTopicKeyedByUser() throws Exception {
        String eventId = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON)
                .body("""
                        {"event_id":"%s","user_id":"u-42","page_id":"/home","type":"view",
                         "event_time":"%s","value":2.5,"attrs":{"country":"NL"}}
                        """.formatted(eventId, java.time.Instant.now().minusSeconds(30)))
                .when().post("/events")
                .then().statusCode(202)
                .body("event_id", equalTo(eventId))
                .body("status", equalTo("accepted"));

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            List<ConsumerRecord<String, String>> records = kafka.readFromStart(Topics.CLICKS, Duration.ofSeconds(20),
                    read -> read.stream().anyMatch(r -> r.value().contains(eventId)));
            ConsumerRecord<String, String> record = records.stream().filter(r -> r.value().contains(eventId))
                    .findFirst().orElseThrow(() -> new AssertionError("event " + eventId + " is not on clicks"));
            assertEquals("u-42", record.key());
            assertEquals(eventId, new String(record.headers().lastHeader(Headers.EVENT_ID).value(),
                    StandardCharsets.UTF_8));
            JsonNode value = KafkaTestClient.JSON.readTree(record.value());
            assertEquals("/home", value.get("page_id").asText());
            assertTrue(value.hasNonNull("event_time"));
            assertEquals(2.5, value.get("value").asDouble());
            assertEquals("NL", value.get("attrs").get("country").asText());
            assertTrue(value.hasNonNull("received_at"));
        }
    }

    @Test
    void sentAtCorrectsTheDeviceClock() throws Exception {
        String eventId = UUID.randomUUID().toString();
        // The device clock is exactly 10 minutes behind: sent_at is 10 minutes before now.
        java.time.Instant now = java.time.Instant.now();
        given().contentType(ContentType.JSON)
                .body("""
                        {"event_id":"%s","user_id":"u-skew","page_id":"/p","type":"view",
                         "event_time":"%s","sent_at":"%s"}
                        """.formatted(eventId, now.minusSeconds(660), now.minusSeconds(600)))
                .when().post("/events")
                .then().statusCode(202);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            ConsumerRecord<String, String> record = kafka.readFromStart(Topics.CLICKS, Duration.ofSeconds(20),
                            read -> read.stream().anyMatch(r -> r.value().contains(eventId)))
                    .stream().filter(r -> r.value().contains(eventId)).findFirst().orElseThrow();
            JsonNode value = KafkaTestClient.JSON.readTree(record.value());
            java.time.Instant corrected = java.time.Instant.parse(value.get("event_time").asText());
            java.time.Instant received = java.time.Instant.parse(value.get("received_at").asText());
            // corrected = event_time + (received_at - sent_at) = received_at - 60 s
            assertEquals(received.minusSeconds(60), corrected);
        }
    }

    @Test
    void invalidEventIsRefusedWithEveryReasonAndKeptAsABadRow() {
        String marker = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON)
                .header("X-Request-Id", marker)
                .body("""
                        {"event_id":"%s","page_id":42,"type":"view","event_time":"yesterday"}
                        """.formatted(marker))
                .when().post("/events")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/invalid-event"))
                .body("request_id", equalTo(marker))
                .header("X-Request-Id", equalTo(marker))
                .body("errors.field", containsInAnyOrder("user_id", "page_id", "event_time"));

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            List<ConsumerRecord<String, String>> bad = kafka.readFromStart(Topics.CLICKS_INVALID,
                    Duration.ofSeconds(20), read -> read.stream().anyMatch(r -> r.value().contains(marker)));
            assertTrue(bad.stream().anyMatch(r -> r.value().contains(marker) && r.value().contains("user_id")),
                    "the bad row with its reasons is on clicks.invalid");
        }
    }

    @Test
    void bodyThatIsNotJsonIs400AndWrongContentTypeIs415() {
        given().contentType(ContentType.JSON).body("{\"event_id\": ")
                .when().post("/events")
                .then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/malformed-body"))
                .body("errors[0].reason", org.hamcrest.Matchers.startsWith("the body is not valid JSON"));
        given().contentType(ContentType.TEXT).body("hello")
                .when().post("/events")
                .then().statusCode(415)
                .contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/unsupported-media-type"));
        given().contentType(ContentType.JSON).body("")
                .when().post("/events")
                .then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void aRetriedEventIsADuplicateAndWrittenOnce() {
        String body = IngestTesting.event(IngestTesting.newId(), "u-retry", "/retry");
        given().contentType(ContentType.JSON).body(body).when().post("/events").then().statusCode(202)
                .body("status", equalTo("accepted"));
        given().contentType(ContentType.JSON).body(body).when().post("/events").then().statusCode(200)
                .body("status", equalTo("duplicate"));
    }

    @Test
    void healthAndMetricsAreServed() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().contentType(ContentType.JSON).body("{}").when().post("/events").then().statusCode(400);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("tally_ingest_events_rejected_total{reason=\"required\"}"));
    }
}
