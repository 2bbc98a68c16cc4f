package dev.tally.aggregator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Topics;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * From records on the real {@code clicks} topic, through both stages, to daily totals on {@code page-stats}; an
 * event id that is in the log twice counts once.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@org.junit.jupiter.api.Order(1)
class ClickFlowTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void clicksBecomeDailyTotalsOnPageStats() throws Exception {
        String page = "/flow-" + UUID.randomUUID();
        Instant day1 = Instant.parse("2026-11-22T09:00:00Z");
        Instant day2 = Instant.parse("2026-11-23T09:00:00Z");
        Map<String, Long> expectedViews = new HashMap<>();
        Map<String, Set<String>> expectedUsers = new HashMap<>();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            for (int i = 0; i < 200; i++) {
                String user = "user-" + (i % 37);
                Instant time = (i % 3 == 0 ? day1 : day2).plusSeconds(i);
                ClickEvent click = new ClickEvent(UUID.randomUUID().toString(), user, page, "view", time, null, time,
                        null, null);
                kafka.send(Topics.CLICKS, user, click);
                if (i % 10 == 0) {
                    kafka.send(Topics.CLICKS, user, click); // a client retry that reached the log twice
                }
                String date = time.toString().substring(0, 10);
                expectedViews.merge(date, 1L, Long::sum);
                expectedUsers.computeIfAbsent(date, d -> new HashSet<>()).add(user);
            }
            // a record that is not a click is skipped, not fatal
            kafka.send(Topics.CLICKS, "nobody", "{\"not\":\"a click\"}");

            List<ConsumerRecord<String, String>> stats = kafka.readFromStart(Topics.PAGE_STATS,
                    Duration.ofSeconds(60), read -> latest(read, page).values().stream()
                            .mapToLong(n -> n.get("views").asLong()).sum() >= 200);
            Map<String, JsonNode> latest = latest(stats, page);
            assertEquals(2, latest.size(), "one result per day: " + latest.keySet());
            for (Map.Entry<String, JsonNode> entry : latest.entrySet()) {
                String date = entry.getValue().get("window").get("start").asText().substring(0, 10);
                assertEquals(expectedViews.get(date), entry.getValue().get("views").asLong(), date);
                assertEquals(expectedUsers.get(date).size(), entry.getValue().get("unique_users").asLong(), date);
                assertEquals("P1D", entry.getValue().get("window").get("size").asText());
            }
        }
    }

    /** The highest version of each key of {@code page}, as a downstream consumer would keep it. */
    private static Map<String, JsonNode> latest(List<ConsumerRecord<String, String>> records, String page) {
        Map<String, JsonNode> latest = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            if (!record.key().startsWith(page + "/tumbling/P1D/")) {
                continue;
            }
            try {
                JsonNode value = KafkaTestClient.JSON.readTree(record.value());
                latest.merge(record.key(), value,
                        (a, b) -> a.get("version").asLong() >= b.get("version").asLong() ? a : b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return latest;
    }
}
