package dev.tally.alerting;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import dev.tally.testkit.WebhookReceiver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * From page-stats on the real Kafka, through the real AMQP queue, to a real HTTP server: one alert per window,
 * retried by the broker when the receiver fails.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@QuarkusTestResource(WebhookReceiverResource.class)
class AlertFlowTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aThresholdCrossingIsDeliveredOnceAndRetriedOnFailure() throws Exception {
        WebhookReceiver receiver = WebhookReceiverResource.receiver;
        receiver.failNext(1);
        WindowRef window = WindowRef.utcDay(Instant.parse("2026-11-23T00:00:00Z"));
        String page = WebhookReceiverResource.RULE_PAGE;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            long version = 1;
            for (long views : new long[] {5, 10, 11, 15, 30}) {
                WindowResult result = new WindowResult(page, window, views, 3, version++, false, null, Map.of(),
                        Instant.now());
                kafka.send(Topics.PAGE_STATS, result.key(), result);
            }
            // another page far above the threshold: not this rule's page
            WindowResult other = new WindowResult("quiet-page", window, 500, 3, 1, false, null, Map.of(),
                    Instant.now());
            kafka.send(Topics.PAGE_STATS, other.key(), other);
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.requests().size() >= 2);
        // give a wrong second alert time to show up before asserting there is none
        Thread.sleep(3000);
        List<WebhookReceiver.Request> requests = receiver.requests();
        Set<String> ids = requests.stream().map(r -> r.headers().get("Webhook-id").get(0)).collect(Collectors.toSet());
        assertEquals(1, ids.size(), "one alert for one window, retried under one id: " + ids);
        assertEquals(2, requests.size(), "the first attempt failed (503), the second succeeded");
        JsonNode body = KafkaTestClient.JSON.readTree(requests.get(1).body());
        assertEquals("firing", body.get("state").asText());
        assertEquals(page, body.get("page_id").asText());
        assertEquals(11.0, body.get("value").asDouble());
        assertEquals(10.0, body.get("threshold").asDouble());
        assertEquals("2026-11-23T00:00:00Z", body.get("window").get("start").asText());
        assertTrue(requests.get(1).headers().containsKey("Webhook-timestamp"));
    }
}
