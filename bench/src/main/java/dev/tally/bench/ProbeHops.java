package dev.tally.bench;

import dev.tally.contracts.WindowResult;
import dev.tally.testkit.KafkaTestClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the probes' time went, hop by hop, from the times the first {@code page-stats} result of each probe's page
 * carries: when stage 2 made it ({@code emitted_at}) and when it was handed to Kafka after stage 2's commit (the
 * record's timestamp). Every process runs on the same machine, so the clocks are the same clock.
 */
final class ProbeHops {
    private static final String[] HOPS = {"ingest (until its 202)", "stage 1, page-partials and stage 2 (until "
            + "stage 2 made the result)", "stage 2's commit and publish", "view-service (read, write) and the query's "
            + "25 ms polls"};
    /** The same hops, named again in the slowest probes' line. */
    private static final String[] SHORT = {"ingest", "to stage 2's result", "stage 2's commit", "view-service"};

    /** A measured probe, in wall-clock milliseconds: sent, accepted by ingest, first seen counted in view-service. */
    record Probe(String page, long sent, long accepted, long seen) {
    }

    private ProbeHops() {
    }

    /** A paragraph for the report; says so if the results could not be read. */
    static String describe(String bootstrap, String topic, List<Probe> probes) {
        if (probes.isEmpty()) {
            return "";
        }
        Map<String, long[]> firsts;
        try {
            firsts = firstResults(bootstrap, topic, probes);
        } catch (RuntimeException e) {
            return "(The probes' hops could not be read from `" + topic + "`: " + e + ".)";
        }
        List<long[]> hops = new ArrayList<>(); // per probe: the four hops, then the whole
        for (Probe probe : probes) {
            long[] first = firsts.get(probe.page());
            if (first != null) {
                hops.add(new long[] {probe.accepted() - probe.sent(), first[0] - probe.accepted(), first[1] - first[0],
                        probe.seen() - first[1], probe.seen() - probe.sent()});
            }
        }
        if (hops.isEmpty()) {
            return "(No probe's result was found in `" + topic + "`.)";
        }
        StringBuilder text = new StringBuilder(String.format("By hop, for the %d measured probes whose first result "
                + "was found in `%s` (from its `emitted_at` and its record's timestamp):", hops.size(), topic));
        for (int hop = 0; hop < HOPS.length; hop++) {
            Latencies latencies = new Latencies();
            for (long[] probe : hops) {
                latencies.add(probe[hop] * 1_000_000);
            }
            text.append(String.format(" %s p50 %.0f ms, p99 %.0f ms;", HOPS[hop], latencies.percentileMs(0.5),
                    latencies.percentileMs(0.99)));
        }
        hops.sort(Comparator.comparingLong(h -> -h[4]));
        List<long[]> slowest = hops.subList(0, Math.max(1, hops.size() / 100));
        text.append(String.format(" in the slowest 1%% (%d probes, %d ms and more), on average:", slowest.size(),
                slowest.get(slowest.size() - 1)[4]));
        for (int hop = 0; hop < HOPS.length; hop++) {
            int index = hop;
            double average = slowest.stream().mapToLong(h -> h[index]).average().orElse(Double.NaN);
            text.append(String.format(" %s %.0f ms%s", SHORT[hop], average, hop == HOPS.length - 1 ? "." : ","));
        }
        return text.toString();
    }

    /** The earliest result of each probe's page: {emitted_at, record timestamp}, in epoch milliseconds. */
    private static Map<String, long[]> firstResults(String bootstrap, String topic, List<Probe> probes) {
        Set<String> pages = probes.stream().map(Probe::page).collect(Collectors.toSet());
        Map<String, long[]> firsts = new HashMap<>();
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading it took more than 2 minutes");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    String key = record.key();
                    int slash = key == null ? -1 : key.indexOf('/');
                    String page = slash < 0 ? null : key.substring(0, slash);
                    Instant emitted = page == null || !pages.contains(page) ? null : emittedAt(record.value());
                    if (emitted == null) {
                        continue;
                    }
                    long[] result = {emitted.toEpochMilli(), record.timestamp()};
                    firsts.merge(page, result, (a, b) -> a[0] <= b[0] ? a : b);
                }
            }
        }
        return firsts;
    }

    /** A result's {@code emitted_at}, or null if the record is not a result that has one. */
    private static Instant emittedAt(String value) {
        try {
            return KafkaTestClient.JSON.readValue(value, WindowResult.class).emittedAt();
        } catch (IOException | IllegalArgumentException e) { // not a result, or a tombstone
            return null;
        }
    }
}
