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
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Event-time windows through both stages on the real Kafka and PostgreSQL: a window becomes final once the
 * watermark passes its end plus grace (other partitions being idle), a late event goes to clicks.late and still
 * counts in the windows it did not miss, a final-only window emits nothing provisional, and a session completes
 * after its gap. Runs last: its event times are in 2030, ahead of every other test's.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@Order(10)
class WindowingFlowTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static final Instant T0 = Instant.parse("2030-01-01T09:00:00Z");

    private static ClickEvent click(String id, String user, String page, Instant time) {
        return new ClickEvent(id, user, page, "view", time, null, time, 1.5, null);
    }

    @Test
    void windowsBecomeFinalLateEventsAreKeptAndSessionsComplete() {
        String page = "win-" + UUID.randomUUID();
        String user = "windowing-user-" + UUID.randomUUID();
        String lateId = "late-" + UUID.randomUUID();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.CLICKS, user, click(UUID.randomUUID().toString(), user, page, T0.plusSeconds(1)));
            kafka.send(Topics.CLICKS, user, click(UUID.randomUUID().toString(), user, page, T0.plusSeconds(20)));
            kafka.send(Topics.CLICKS, user, click(UUID.randomUUID().toString(), user, page, T0.plusSeconds(40)));
            // 09:02: the watermark (minus 5 s of out-of-orderness) passes 09:01 plus 10 s of grace
            kafka.send(Topics.CLICKS, user, click(UUID.randomUUID().toString(), user, page, T0.plusSeconds(120)));
            // too late for the 09:00 minute; still on time for its day
            kafka.send(Topics.CLICKS, user, click(lateId, user, page, T0.plusSeconds(30)));
            // 09:45: beyond the 30-minute session gap, so the first session completes
            kafka.send(Topics.CLICKS, user, click(UUID.randomUUID().toString(), user, page, T0.plusSeconds(2700)));

            List<ConsumerRecord<String, String>> stats = kafka.readFromStart(Topics.PAGE_STATS,
                    Duration.ofSeconds(60), read -> finalOf(read, page + "/tumbling/PT1M/" + T0) != null
                            // closed by the same watermark, but it may come in a later poll than the minute
                            && finalOf(read, page + "/hopping/PT5M/PT1M/2030-01-01T08:56:00Z") != null);
            JsonNode minute = finalOf(stats, page + "/tumbling/PT1M/" + T0);
            assertTrue(minute != null, "the 09:00 minute is final: " + keys(stats, page));
            assertEquals(3, minute.get("views").asLong(), "the late event is not in its closed minute");
            assertEquals(1, minute.get("unique_users").asLong());
            assertEquals("exact", minute.get("unique_method").asText());

            for (ConsumerRecord<String, String> record : stats) {
                if (record.key().startsWith(page + "/hopping/")) {
                    assertTrue(record.value().contains("\"final\":true"), "hopping windows emit only final: "
                            + record.value());
                }
            }
            JsonNode hopping = finalOf(stats, page + "/hopping/PT5M/PT1M/2030-01-01T08:56:00Z");
            assertTrue(hopping != null, "the 08:56-09:01 hopping window is final: " + keys(stats, page));
            assertEquals(3, hopping.get("views").asLong());

            List<ConsumerRecord<String, String>> dayRecords = kafka.readFromStart(Topics.PAGE_STATS,
                    Duration.ofSeconds(30), read -> latest(read, page + "/tumbling/P1D/2030-01-01T00:00:00Z") != null
                            && latest(read, page + "/tumbling/P1D/2030-01-01T00:00:00Z").get("views").asLong() == 6);
            JsonNode day = latest(dayRecords, page + "/tumbling/P1D/2030-01-01T00:00:00Z");
            assertEquals(6, day.get("views").asLong(), "every event counts in its day, the late one too");
            assertEquals(0, new java.math.BigDecimal("9.0").compareTo(day.get("value_sum").decimalValue()),
                    "the sum of the events' values: " + day);
            assertFalse(day.get("final").asBoolean(), "the day is open for 30 days of grace");

            List<ConsumerRecord<String, String>> late = kafka.readFromStart(Topics.CLICKS_LATE,
                    Duration.ofSeconds(30), read -> read.stream().anyMatch(r -> r.value().contains(lateId)));
            String lateRecord = late.stream().filter(r -> r.value().contains(lateId)).findFirst()
                    .orElseThrow(() -> new AssertionError("the late event is not on clicks.late")).value();
            assertTrue(lateRecord.contains("\"start\":\"2030-01-01T09:00:00Z\""), lateRecord);

            List<ConsumerRecord<String, String>> sessions = kafka.readFromStart(Topics.SESSIONS,
                    Duration.ofSeconds(30), read -> read.stream().anyMatch(r -> r.key().equals(user)));
            JsonNode session = sessions.stream().filter(r -> r.key().equals(user)).map(r -> json(r.value()))
                    .findFirst().orElseThrow(() -> new AssertionError("no completed session of " + user));
            assertEquals(T0.plusSeconds(1).toString(), session.get("start").asText());
            assertEquals(T0.plusSeconds(120).toString(), session.get("end").asText());
            assertEquals(5, session.get("events").asLong());
            assertEquals("PT30M", session.get("gap").asText());
        }
        String metrics = io.restassured.RestAssured.get("/q/metrics").asString();
        assertTrue(metrics.contains("tally_aggregator_watermark_seconds{partition=\"0\",view_version=\"1\"}"),
                "a watermark per partition");
        assertTrue(metrics.contains("tally_aggregator_events_late_total"), "late events are counted");
        assertTrue(metrics.contains("tally_aggregator_windows_open{stage=\"stage1\",view_version=\"1\"}"),
                "open windows");
        assertTrue(metrics.contains(
                "tally_aggregator_lag{partition=\"0\",stage=\"stage1\",view_version=\"1\"}"),
                "lag per partition, from the committed offset");
        assertTrue(metrics.contains(
                "tally_aggregator_batch_records_count{stage=\"stage1\",view_version=\"1\"}"), "batch sizes");
    }

    @Test
    void aDefinitionGroupedByAnAttributeCountsAndSumsPerGroup() {
        String country = "country-" + UUID.randomUUID();
        String page = "grouped-" + UUID.randomUUID();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            // a day window with 30 days of grace: on time whichever test of this class ran first
            double[] values = {1.5, 2.25, 0.1};
            for (int i = 0; i < values.length; i++) {
                String user = "grouped-user-" + (i % 2) + "-" + country;
                kafka.send(Topics.CLICKS, user, new ClickEvent(UUID.randomUUID().toString(), user, page, "view",
                        T0.plusSeconds(i), null, T0.plusSeconds(i), values[i], java.util.Map.of("country", country)));
            }
            String other = "grouped-user-no-country-" + country;
            kafka.send(Topics.CLICKS, other, new ClickEvent(UUID.randomUUID().toString(), other, page, "view",
                    T0.plusSeconds(5), null, T0.plusSeconds(5), 100.0, null)); // in no country's group

            String key = "attrs.country=" + country + "/tumbling/P1D/2030-01-01T00:00:00Z";
            List<ConsumerRecord<String, String>> groups = kafka.readFromStart(Topics.GROUP_STATS,
                    Duration.ofSeconds(30), read -> {
                        JsonNode latest = latest(read, key);
                        return latest != null && latest.get("views").asLong() == 3;
                    });
            JsonNode group = latest(groups, key);
            assertEquals(3, group.get("views").asLong(), "views of the country: " + keys(groups, "attrs.country="
                    + country));
            assertEquals(2, group.get("unique_users").asLong());
            assertEquals(0, new java.math.BigDecimal("3.85").compareTo(group.get("value_sum").decimalValue()),
                    "the sum of value, exact in decimal: " + group.get("value_sum"));
            assertEquals("attrs.country", group.get("group_by").asText());
            assertEquals(country, group.get("group").asText());
            assertTrue(group.get("page_id").isNull(), "a group is not a page");
            assertTrue(group.get("source_offsets").size() > 0, "the log offsets the result covers");

            // the page's own day window counts all four events, the one without a country too
            String pageKey = page + "/tumbling/P1D/2030-01-01T00:00:00Z";
            List<ConsumerRecord<String, String>> pages = kafka.readFromStart(Topics.PAGE_STATS,
                    Duration.ofSeconds(30), read -> {
                        JsonNode latest = latest(read, pageKey);
                        return latest != null && latest.get("views").asLong() == 4;
                    });
            assertEquals(4, latest(pages, pageKey).get("views").asLong());
        }
    }

    private static JsonNode finalOf(List<ConsumerRecord<String, String>> records, String key) {
        JsonNode latest = latest(records, key);
        return latest != null && latest.get("final").asBoolean() ? latest : null;
    }

    private static JsonNode latest(List<ConsumerRecord<String, String>> records, String key) {
        JsonNode best = null;
        for (ConsumerRecord<String, String> record : records) {
            if (record.key() != null && record.key().equals(key)) {
                JsonNode value = json(record.value());
                if (best == null || value.get("version").asLong() > best.get("version").asLong()) {
                    best = value;
                }
            }
        }
        return best;
    }

    private static List<String> keys(List<ConsumerRecord<String, String>> records, String page) {
        List<String> keys = new ArrayList<>();
        records.stream().filter(r -> r.key() != null && r.key().startsWith(page)).forEach(r -> keys.add(r.key()
                + (r.value().contains("\"final\":true") ? " final" : "")));
        return keys;
    }

    private static JsonNode json(String value) {
        try {
            return KafkaTestClient.JSON.readTree(value);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
