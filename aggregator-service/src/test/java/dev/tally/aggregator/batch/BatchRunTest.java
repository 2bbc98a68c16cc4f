package dev.tally.aggregator.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.aggregator.archive.ArchiveFiles;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Problem;
import dev.tally.contracts.Topics;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch run over the real {@code clicks} topic, through the real AMQP queue and PostgreSQL: it counts every
 * event id once, dates events by their UTC day, gives byte-identical summaries when run twice over the same log,
 * publishes its rows and a run-end record on every partition of {@code page-summaries}, equals byte for byte
 * {@code ./tally batch} over the archiver's files of the same log, and answers a 404 problem for a run that does
 * not exist.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@QuarkusTestResource(ArchiveDirResource.class)
@Order(5)
class BatchRunTest {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(90);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aRunCountsEachEventOnceAndTwoRunsGiveTheSameBytes() throws Exception {
        String prefix = "/batch-" + UUID.randomUUID();
        Instant day1 = Instant.parse("2026-11-20T22:00:00Z");
        Map<String, Long> views = new TreeMap<>();
        Map<String, Set<String>> users = new TreeMap<>();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            for (int i = 0; i < 400; i++) {
                String user = "batch-user-" + (i % 23);
                String page = prefix + (i % 2 == 0 ? "/a" : "/b");
                Instant time = day1.plusSeconds(i * 30L); // crosses midnight UTC into the next day
                ClickEvent click = new ClickEvent(UUID.randomUUID().toString(), user, page, "view", time, null, time,
                        null, null);
                kafka.send(Topics.CLICKS, user, click);
                if (i % 25 == 0) {
                    kafka.send(Topics.CLICKS, user, click); // a client retry that reached the log twice
                }
                String key = page + "/" + time.toString().substring(0, 10);
                views.merge(key, 1L, Long::sum);
                users.computeIfAbsent(key, k -> new HashSet<>()).add(user);
            }
            kafka.send(Topics.CLICKS, "nobody", "{\"not\":\"a click\"}");
        }

        String first = runToCompletion();
        byte[] firstSummary = summary(first);
        Map<String, long[]> rows = rowsOf(firstSummary, prefix);
        assertEquals(views.keySet(), rows.keySet());
        for (String key : views.keySet()) {
            assertEquals(views.get(key), rows.get(key)[0], "views of " + key);
            assertEquals(users.get(key).size(), rows.get(key)[1], "unique users of " + key);
        }

        JsonNode status = KafkaTestClient.JSON.readTree(given().get("/admin/batch-runs/" + first).asString());
        assertEquals("completed", status.get("state").asText());
        assertEquals(status.get("tasks_total").asInt(), status.get("tasks_done").asInt());
        assertTrue(status.get("duplicates").asLong() >= 16, status.toString());
        assertTrue(status.get("unreadable").asLong() >= 1, status.toString());
        for (JsonNode partition : status.get("partitions")) {
            assertEquals(partition.get("horizon").asLong(), partition.get("offset_reached").asLong());
            assertEquals(1.0, partition.get("progress").asDouble());
        }

        // the archiver's files of the same log, read by ./tally batch's job, give the same bytes
        Map<Integer, Long> horizon = new TreeMap<>();
        status.get("horizon").fields().forEachRemaining(e -> horizon.put(Integer.parseInt(e.getKey()),
                e.getValue().asLong()));
        Path archived = archiveUpTo(horizon);
        Path fromFiles = archived.resolveSibling(archived.getFileName() + ".json");
        DailySummaryJob.Report report = new DailySummaryJob(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8)).run(archived, fromFiles);
        assertEquals(status.get("events_counted").asLong(), report.events());
        assertArrayEquals(firstSummary, Files.readAllBytes(fromFiles), "files and Kafka give the same bytes");

        String second = runToCompletion();
        assertArrayEquals(firstSummary, summary(second), "the same log gives the same bytes");

        // the rows and, on every partition, the run's end record are on page-summaries
        int partitions = status.get("horizon").size();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            List<ConsumerRecord<String, String>> published = kafka.readFromStart(Topics.PAGE_SUMMARIES,
                    Duration.ofSeconds(30), read -> runEnds(read, first).size() == partitionsOf(read));
            Set<Integer> ends = runEnds(published, first);
            assertEquals(partitions, partitionsOf(published));
            assertEquals(partitionsOf(published), ends.size(), "a run-end record on every partition");
            Map<String, long[]> publishedRows = new TreeMap<>();
            for (ConsumerRecord<String, String> record : published) {
                JsonNode value = KafkaTestClient.JSON.readTree(record.value());
                if (value.get("type").asText().equals("row") && value.get("run_id").asText().equals(first)
                        && value.get("page_id").asText().startsWith(prefix)) {
                    assertEquals(value.get("page_id").asText() + "/" + value.get("date").asText(), record.key());
                    publishedRows.put(record.key(), new long[] {value.get("total_views").asLong(),
                            value.get("unique_users").asLong()});
                }
            }
            assertEquals(rows.keySet(), publishedRows.keySet());
            rows.forEach((key, counts) -> assertArrayEquals(counts, publishedRows.get(key), key));
        }

        given().get("/admin/batch-runs?limit=5").then().statusCode(200);
        JsonNode list = KafkaTestClient.JSON.readTree(given().get("/admin/batch-runs").asString());
        assertEquals(second, list.get(0).get("run_id").asText(), "newest first");
    }

    @Test
    void anUnknownRunIsAProblemNot500() throws Exception {
        for (String path : List.of("/admin/batch-runs/no-such-run", "/admin/batch-runs/no-such-run/summary")) {
            Response response = given().get(path);
            assertEquals(404, response.statusCode(), path);
            assertTrue(response.contentType().startsWith(Problem.MEDIA_TYPE), response.contentType());
            JsonNode problem = KafkaTestClient.JSON.readTree(response.asString());
            assertEquals(Problem.TYPE_BASE + "batch-run-not-found", problem.get("type").asText());
            assertEquals(404, problem.get("status").asInt());
            assertEquals(path, problem.get("instance").asText());
        }
        Response bad = given().get("/admin/batch-runs?limit=lots");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.contentType().startsWith(Problem.MEDIA_TYPE), bad.contentType());
        assertEquals(Problem.TYPE_BASE + "invalid-parameter",
                KafkaTestClient.JSON.readTree(bad.asString()).get("type").asText());
    }

    /**
     * Waits until the archive has closed files up to the horizon, and copies those files (and no later ones) to a
     * folder of their own; checks that they hold every offset below the horizon exactly once.
     */
    private static Path archiveUpTo(Map<Integer, Long> horizon) throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
            Map<Integer, Long> covered = new TreeMap<>();
            for (ArchiveFiles.Closed file : ArchiveFiles.closed(ArchiveDirResource.DIR)) {
                covered.merge(file.partition(), file.last() + 1, Math::max);
            }
            return horizon.entrySet().stream().allMatch(e -> e.getValue() == 0
                    || covered.getOrDefault(e.getKey(), 0L) >= e.getValue());
        });
        Path copy = Files.createDirectories(Path.of("target", "archive-check-" + UUID.randomUUID()));
        Map<Integer, Long> next = new TreeMap<>();
        for (ArchiveFiles.Closed file : ArchiveFiles.closed(ArchiveDirResource.DIR)) {
            if (file.last() < horizon.get(file.partition())) {
                assertEquals(next.getOrDefault(file.partition(), 0L), file.first(), "no gap, no overlap: " + file);
                next.put(file.partition(), file.last() + 1);
                Files.copy(file.path(), copy.resolve(file.path().getFileName()));
            }
        }
        horizon.forEach((partition, end) -> assertEquals(end, next.getOrDefault(partition, 0L),
                "partition " + partition + " archived exactly up to the horizon"));
        return copy;
    }

    /** Starts a run and waits until it is completed; returns its id. */
    static String runToCompletion() {
        Response started = given().post("/admin/batch-runs");
        assertEquals(202, started.statusCode(), started.asString());
        String id = started.jsonPath().getString("run_id");
        assertEquals("/admin/batch-runs/" + id, started.header("Location").replaceFirst("^https?://[^/]+", ""));
        await().atMost(RUN_TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
            String state = given().get("/admin/batch-runs/" + id).jsonPath().getString("state");
            if ("failed".equals(state)) {
                throw new AssertionError("batch run failed: " + given().get("/admin/batch-runs/" + id).asString());
            }
            return "completed".equals(state);
        });
        return id;
    }

    static byte[] summary(String id) {
        Response response = given().get("/admin/batch-runs/" + id + "/summary");
        assertEquals(200, response.statusCode(), response.asString());
        return response.asByteArray();
    }

    /** The rows of the summary whose page starts with {@code prefix}: page/date -> {views, unique users}. */
    static Map<String, long[]> rowsOf(byte[] summary, String prefix) throws Exception {
        Map<String, long[]> rows = new TreeMap<>();
        List<String> order = new ArrayList<>();
        for (JsonNode row : KafkaTestClient.JSON.readTree(summary)) {
            String page = row.get("page_id").asText();
            order.add(page + "/" + row.get("date").asText());
            if (page.startsWith(prefix)) {
                rows.put(page + "/" + row.get("date").asText(), new long[] {row.get("total_views").asLong(),
                        row.get("unique_users").asLong()});
            }
        }
        List<String> sorted = new ArrayList<>(order);
        sorted.sort(null); // the test's pages are ASCII: code point order is String order
        assertEquals(sorted, order, "sorted by page, then date");
        return rows;
    }

    private static Set<Integer> runEnds(List<ConsumerRecord<String, String>> records, String runId) {
        Set<Integer> partitions = new HashSet<>();
        for (ConsumerRecord<String, String> record : records) {
            if ("run".equals(record.key()) && record.value().contains("\"run_id\":\"" + runId + "\"")) {
                partitions.add(record.partition());
            }
        }
        return partitions;
    }

    private static int partitionsOf(List<ConsumerRecord<String, String>> records) {
        return (int) records.stream().filter(r -> "run".equals(r.key())).map(ConsumerRecord::partition).distinct()
                .count();
    }
}
