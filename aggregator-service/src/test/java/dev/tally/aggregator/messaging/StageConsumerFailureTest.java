package dev.tally.aggregator.messaging;

import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stage consumer whose thread ends on an error it cannot get over (here an {@link Error} from parsing a record)
 * says so, for the liveness check, instead of going quiet; the check itself is up while every consumer runs.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class StageConsumerFailureTest {

    @Inject
    StreamEngines engines;

    @Inject
    MeterRegistry registry;

    @Test
    void aConsumerWhoseThreadDiesOfAnErrorSaysWhy() throws Exception {
        EngineContext context = engines.context();
        String topic = "stage-consumer-failure-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                context.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        ViewVersion version = new ViewVersion(77);
        StageTwo poisoned = new StageTwo(version, context) {
            @Override
            PartialPacks.Input parse(byte[] value, int partition, long offset) {
                throw new AssertionError("a poisoned record at offset " + offset);
            }
        };
        StageConsumer<PartialPacks.Input> consumer = new StageConsumer<>(poisoned, topic, "stage-consumer-failure",
                context.bootstrapServers(), 100, 1_000);
        try {
            consumer.start();
            assertNull(consumer.failure());
            try (KafkaTestClient client = new KafkaTestClient(context.bootstrapServers())) {
                client.send(topic, null, Map.of("type", "anything"));
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                    assertNotNull(consumer.failure(), "the consumer did not say that its thread ended"));
            assertTrue(consumer.failure().contains("a poisoned record at offset 0"), consumer.failure());
        } finally {
            consumer.close();
            StreamEngine.forgetMeters(registry, version);
        }
    }

    @Test
    void theLivenessCheckIsUpWhileEveryStageConsumerRuns() {
        given().when().get("/q/health/live").then().statusCode(200)
                .body("checks.name", hasItem("stream-consumers"));
    }
}
