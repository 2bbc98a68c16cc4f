package dev.tally.aggregator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.ServiceProcess;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two packaged aggregator replicas against the real Kafka and PostgreSQL: a second replica joins mid-stream (a
 * rebalance moves partitions, and their state, to it), then the first is killed with kill -9 (its partitions
 * move again). Around each move, clicks already sent are sent again (a client's retry that reached the log twice),
 * within the windows' grace: the memory of counted event ids moves with the partitions. Every final minute window
 * equals what was sent once, exactly.
 */
class RebalanceIT {
    private static final Instant BASE = Instant.parse("2031-01-01T00:00:00Z");
    private static final Path LOGS = Path.of("target", "rebalance-it");

    @Test
    void partitionsMoveBetweenReplicasWithTheirState() throws Exception {
        deleteOldLogs(); // a log of an earlier run must not satisfy this run's assertions
        StackInfo stack = LocalStackProcess.start();
        Path jar = Path.of(System.getProperty("tally.aggregator.jar"));
        Map<String, String> env = Map.of("TALLY_AGGREGATOR_IDLE_TIMEOUT", "PT3S");
        Map<String, Long> views = new HashMap<>();
        Map<String, Set<String>> users = new HashMap<>();
        List<ClickEvent> sent = new ArrayList<>();
        ServiceProcess second = null;
        try (ServiceProcess first = ServiceProcess.start("aggregator-a", jar, stack, env, LOGS);
             KafkaTestClient kafka = new KafkaTestClient(stack.kafkaBootstrap())) {
            for (int i = 0; i < 900; i++) {
                String user = "user-" + (i % 40);
                String page = "page-" + (i % 3);
                Instant time = BASE.plusMillis(i * 500L);
                ClickEvent click = new ClickEvent(UUID.randomUUID().toString(), user, page, "view", time, null, time,
                        null, null);
                kafka.send(Topics.CLICKS, user, click);
                sent.add(click);
                if (i > 300 && i <= 340 || i > 600 && i <= 640) {
                    // 10 s of event time back: within the minute windows' grace, so it would count if not known
                    ClickEvent again = sent.get(i - 20);
                    kafka.send(Topics.CLICKS, again.userId(), again);
                }
                String minute = page + "/tumbling/PT1M/" + time.truncatedTo(ChronoUnit.MINUTES);
                views.merge(minute, 1L, Long::sum);
                users.computeIfAbsent(minute, m -> new HashSet<>()).add(user);
                if (i == 300) {
                    second = ServiceProcess.start("aggregator-b", jar, stack, env, LOGS);
                }
                if (i == 600) {
                    first.kill();
                }
                if (i % 50 == 0) {
                    Thread.sleep(200); // a stream, not a burst: the rebalances happen while it flows
                }
            }
            // every partition's watermark moves past every window of the test
            for (int u = 0; u < 40; u++) {
                Instant later = BASE.plus(Duration.ofHours(2));
                kafka.send(Topics.CLICKS, "user-" + u, new ClickEvent(UUID.randomUUID().toString(), "user-" + u,
                        "closing", "view", later, null, later, null, null));
            }

            List<ConsumerRecord<String, String>> stats = kafka.readFromStart(Topics.PAGE_STATS,
                    Duration.ofMinutes(3), read -> finals(read).keySet().containsAll(views.keySet()));
            Map<String, JsonNode> finals = finals(stats);
            for (Map.Entry<String, Long> expected : views.entrySet()) {
                JsonNode result = finals.get(expected.getKey());
                assertTrue(result != null, "no final result for " + expected.getKey() + "; aggregator-b log:\n"
                        + tail(second));
                assertEquals(expected.getValue(), result.get("views").asLong(), "views of " + expected.getKey());
                assertEquals(users.get(expected.getKey()).size(), result.get("unique_users").asLong(),
                        "unique users of " + expected.getKey());
            }
            String log = second.logText();
            assertTrue(log.matches("(?s).*stage1 resumes \\{[^}]*=[1-9].*"), "aggregator-b resumed a partition "
                    + "from a checkpoint the other replica wrote:\n" + tail(second));
        } finally {
            if (second != null) {
                second.close();
            }
        }
    }

    private static void deleteOldLogs() throws java.io.IOException {
        if (java.nio.file.Files.isDirectory(LOGS)) {
            try (var files = java.nio.file.Files.list(LOGS)) {
                for (Path file : files.toList()) {
                    java.nio.file.Files.delete(file);
                }
            }
        }
    }

    /** The newest final result of every minute window of the test's pages. */
    private static Map<String, JsonNode> finals(List<ConsumerRecord<String, String>> records) {
        Map<String, JsonNode> finals = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            if (record.key() == null || !record.key().startsWith("page-") || !record.key().contains("/PT1M/")) {
                continue;
            }
            try {
                JsonNode value = KafkaTestClient.JSON.readTree(record.value());
                JsonNode known = finals.get(record.key());
                if (value.get("final").asBoolean()
                        && (known == null || value.get("version").asLong() > known.get("version").asLong())) {
                    finals.put(record.key(), value);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return finals;
    }

    private static String tail(ServiceProcess service) {
        if (service == null) {
            return "(not started)";
        }
        String text = service.logText();
        return text.length() <= 6000 ? text : text.substring(text.length() - 6000);
    }
}
