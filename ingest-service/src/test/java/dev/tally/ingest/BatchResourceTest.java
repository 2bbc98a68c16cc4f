package dev.tally.ingest;

import dev.tally.contracts.Topics;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.tally.ingest.IngestTesting.event;
import static dev.tally.ingest.IngestTesting.newId;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code POST /events/batch}: a result per event; the good ones written even when others are refused. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@Order(2)
class BatchResourceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @BeforeEach
    void authenticate() {
        IngestTesting.authenticateEveryRequest();
    }

    @Test
    void aJsonArrayGetsAResultPerEvent() {
        String page = "/batch-" + newId();
        String first = newId();
        String third = newId();
        String body = "[" + event(first, "u1", page) + ","
                + "{\"event_id\":\"bad-one\",\"user_id\":\"u2\",\"page_id\":\"" + page + "\",\"type\":\"view\"},"
                + event(third, "u3", page) + ","
                + event(first, "u1", page) + "]";
        given().contentType(ContentType.JSON).body(body)
                .when().post("/events/batch")
                .then().statusCode(200)
                .body("accepted", equalTo(2))
                .body("rejected", equalTo(1))
                .body("duplicates", equalTo(1))
                .body("results.index", contains(0, 1, 2, 3))
                .body("results.status", contains("accepted", "rejected", "accepted", "duplicate"))
                .body("results[1].event_id", equalTo("bad-one"))
                .body("results[1].error.field", equalTo("event_time"))
                .body("results[1].error.reason", equalTo("is required"))
                .body("results[0].error", nullValue());

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            List<ConsumerRecord<String, String>> written = kafka.readFromStart(Topics.CLICKS, Duration.ofSeconds(20),
                    read -> read.stream().filter(r -> r.value().contains(page)).count() >= 2)
                    .stream().filter(r -> r.value().contains(page)).toList();
            assertEquals(2, written.size(), "the valid events once each, the duplicate not again");
            List<ConsumerRecord<String, String>> bad = kafka.readFromStart(Topics.CLICKS_INVALID,
                    Duration.ofSeconds(20), read -> read.stream().anyMatch(r -> r.value().contains("bad-one")));
            ConsumerRecord<String, String> row = bad.stream().filter(r -> r.value().contains("bad-one")).findFirst()
                    .orElseThrow(() -> new AssertionError("the bad row is not on clicks.invalid"));
            org.junit.jupiter.api.Assertions.assertTrue(row.value().contains("\"index\":1"), row.value());
        }
    }

    @Test
    void ndjsonRefusesOnlyTheBrokenLine() {
        String page = "/ndjson-" + newId();
        String body = event(newId(), "u1", page) + "\n{not json\n\n" + event(newId(), "u2", page) + "\n";
        given().config(io.restassured.RestAssured.config().encoderConfig(io.restassured.config.EncoderConfig
                        .encoderConfig().encodeContentTypeAs("application/x-ndjson", ContentType.TEXT)))
                .contentType("application/x-ndjson").body(body)
                .when().post("/events/batch")
                .then().statusCode(200)
                .body("accepted", equalTo(2))
                .body("rejected", equalTo(1))
                .body("results.status", contains("accepted", "rejected", "accepted"))
                .body("results[1].error.reason", org.hamcrest.Matchers.startsWith("line 2 is not valid JSON"));
    }

    @Test
    void aBatchThatIsNotAnArrayOrIsEmptyIsRefusedWhole() {
        given().contentType(ContentType.JSON).body(event(newId(), "u", "/p"))
                .when().post("/events/batch")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("https://tally.dev/problems/malformed-body"))
                .body("detail", org.hamcrest.Matchers.startsWith("a batch must be a JSON array"));
        given().contentType(ContentType.JSON).body("[]")
                .when().post("/events/batch")
                .then().statusCode(400).body("detail", equalTo("the batch holds no events"));
        given().contentType(ContentType.JSON).body("[" + event(newId(), "u", "/p") + ", {\"event_id\": ")
                .when().post("/events/batch")
                .then().statusCode(400).body("detail", org.hamcrest.Matchers.startsWith("the body is not valid JSON"));
    }
}
