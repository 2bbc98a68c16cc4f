package dev.tally.aggregator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.ServiceProcess;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batch runs shared by packaged aggregator replicas over the real AMQP queue: one worker and three workers give
 * byte-identical summaries, equal to a recomputation from the log; and a replica killed with kill -9 in the middle
 * of a task has its tasks redelivered to another replica, and the result is still exact.
 */
class BatchWorkersIT {
    private static final Path LOGS = Path.of("target", "batch-workers-it");
    private static final int EVENTS = 400_000;
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
    /** The replicas here only do batch work: the stream stages would spend the two cores on the same backlog. */
    private static final Map<String, String> BATCH_ONLY = Map.of("QUARKUS_PROFILE", "prod,batch-only");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void oneWorkerThreeWorkersAndAKilledWorkerGiveTheSameExactSummary() throws Exception {
        deleteOldLogs();
        StackInfo stack = LocalStackProcess.start();
        Path jar = Path.of(System.getProperty("tally.aggregator.jar"));
        load(stack.kafkaBootstrap());

        List<ServiceProcess> running = new ArrayList<>();
        try {
            ServiceProcess a = start("batch-a", jar, stack, running);
            String one = run(a);
            byte[] oneWorker = summary(a, one);
            Map<Integer, Long> horizon = horizon(status(a, one));
            assertEquals(recomputed(stack.kafkaBootstrap(), horizon), rows(oneWorker),
                    "the run equals a plain recomputation from the log");

            ServiceProcess b = start("batch-b", jar, stack, running);
            ServiceProcess c = start("batch-c", jar, stack, running);
            String three = run(c);
            assertArrayEquals(oneWorker, summary(c, three), "three workers give the bytes of one");
            Set<String> workers = new HashSet<>();
            status(c, three).get("partitions").forEach(p -> workers.add(p.get("worker").asText()));
            assertTrue(workers.size() >= 2, "the tasks were shared: " + workers);

            // only b is left; it takes every task of the next run and is killed in the middle of one
            a.close();
            c.close();
            String killed = post(b);
            Pattern started = Pattern.compile("batch run " + killed + " task (p\\d+) started on (\\S+)");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            Set<String> startedOnB = new HashSet<>();
            String bWorker = null;
            while (startedOnB.isEmpty() && Instant.now().isBefore(deadline)) {
                Matcher m = started.matcher(b.logText());
                while (m.find()) {
                    startedOnB.add(m.group(1));
                    bWorker = m.group(2);
                }
                Thread.sleep(10);
            }
            b.kill();
            assertFalse(startedOnB.isEmpty(), "b never started a task of " + killed);
            Set<String> doneOnB = new HashSet<>();
            Matcher done = Pattern.compile("batch run " + killed + " task (p\\d+) done on").matcher(b.logText());
            while (done.find()) {
                doneOnB.add(done.group(1));
            }
            Set<String> cutShort = new HashSet<>(startedOnB);
            cutShort.removeAll(doneOnB);
            assertFalse(cutShort.isEmpty(), "b was killed in the middle of a task (started " + startedOnB
                    + ", done " + doneOnB + ")");

            ServiceProcess d = start("batch-d", jar, stack, running);
            awaitCompleted(d, killed);
            assertArrayEquals(oneWorker, summary(d, killed), "the run with a killed worker is still exact");
            for (JsonNode partition : status(d, killed).get("partitions")) {
                String task = partition.get("task_id").asText();
                if (cutShort.contains(task)) {
                    assertTrue(partition.get("attempts").asInt() >= 2, "task " + task + " was redelivered: "
                            + partition);
                    assertFalse(partition.get("worker").asText().equals(bWorker), partition.toString());
                }
            }
        } finally {
            for (ServiceProcess service : running) {
                service.close();
            }
        }
    }

    private static ServiceProcess start(String name, Path jar, StackInfo stack, List<ServiceProcess> running) {
        ServiceProcess service = ServiceProcess.start(name, jar, stack, BATCH_ONLY, LOGS);
        running.add(service);
        return service;
    }

    /** 400,000 clicks over 4 partitions, 5,000 users, 40 pages, three days; some event ids written twice. */
    private static void load(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        AtomicReference<Exception> failure = new AtomicReference<>();
        Instant base = Instant.parse("2031-03-01T00:00:00Z");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < EVENTS; i++) {
                String user = "bw-user-" + (i * 7919 % 5000);
                Instant time = base.plusSeconds(i * 3L * 86_400 / EVENTS);
                String json = KafkaTestClient.JSON.writeValueAsString(new ClickEvent("bw-" + i, user,
                        "bw-page-" + (i * 31 % 40), "view", time, null, time, null, null));
                producer.send(new ProducerRecord<>(Topics.CLICKS, user, json), (m, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
                if (i % 1000 == 0) {
                    producer.send(new ProducerRecord<>(Topics.CLICKS, user, json)); // a retry, in the log twice
                }
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /**
     * The daily summary recomputed from the log the plain way: every record below the horizon bound to a
     * ClickEvent, each event id once, sets of users. page/date -> {views, unique users}.
     */
    private static Map<String, List<Long>> recomputed(String bootstrap, Map<Integer, Long> horizon) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        Map<String, Long> views = new TreeMap<>();
        Map<String, Set<String>> users = new HashMap<>();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            for (Map.Entry<Integer, Long> partition : horizon.entrySet()) {
                TopicPartition tp = new TopicPartition(Topics.CLICKS, partition.getKey());
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                while (consumer.position(tp) < partition.getValue()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        if (record.offset() >= partition.getValue()) {
                            break;
                        }
                        ClickEvent event;
                        try {
                            event = KafkaTestClient.JSON.readValue(record.value(), ClickEvent.class);
                        } catch (IOException e) {
                            continue; // not a click: counted nowhere
                        }
                        if (event.eventId() == null || event.userId() == null || event.pageId() == null
                                || event.eventTime() == null || !seen.add(event.eventId())) {
                            continue;
                        }
                        String key = event.pageId() + "/" + event.eventTime().toString().substring(0, 10);
                        views.merge(key, 1L, Long::sum);
                        users.computeIfAbsent(key, k -> new HashSet<>()).add(event.userId());
                    }
                }
            }
        }
        Map<String, List<Long>> rows = new TreeMap<>();
        views.forEach((key, n) -> rows.put(key, List.of(n, (long) users.get(key).size())));
        return rows;
    }

    private static Map<String, List<Long>> rows(byte[] summary) throws IOException {
        Map<String, List<Long>> rows = new TreeMap<>();
        for (JsonNode row : KafkaTestClient.JSON.readTree(summary)) {
            rows.put(row.get("page_id").asText() + "/" + row.get("date").asText(),
                    List.of(row.get("total_views").asLong(), row.get("unique_users").asLong()));
        }
        return rows;
    }

    private static Map<Integer, Long> horizon(JsonNode status) {
        Map<Integer, Long> horizon = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = status.get("horizon").fields();
        fields.forEachRemaining(e -> horizon.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
        return horizon;
    }

    private static String run(ServiceProcess service) throws Exception {
        String id = post(service);
        awaitCompleted(service, id);
        return id;
    }

    private static String post(ServiceProcess service) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(service.url("/admin/batch-runs"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return KafkaTestClient.JSON.readTree(response.body()).get("run_id").asText();
    }

    private static void awaitCompleted(ServiceProcess service, String id) throws Exception {
        Instant deadline = Instant.now().plus(RUN_TIMEOUT);
        JsonNode status = null;
        while (Instant.now().isBefore(deadline)) {
            status = status(service, id);
            if (status.get("state").asText().equals("completed")) {
                return;
            }
            assertFalse(status.get("state").asText().equals("failed"), status.toString());
            Thread.sleep(250);
        }
        throw new AssertionError("batch run " + id + " did not complete in " + RUN_TIMEOUT + ": " + status);
    }

    private static JsonNode status(ServiceProcess service, String id) throws Exception {
        return KafkaTestClient.JSON.readTree(get(service.url("/admin/batch-runs/" + id)));
    }

    private static byte[] summary(ServiceProcess service, String id) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(
                service.url("/admin/batch-runs/" + id + "/summary")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static String get(URI uri) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private static void deleteOldLogs() throws IOException {
        if (Files.isDirectory(LOGS)) {
            try (var files = Files.list(LOGS)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
