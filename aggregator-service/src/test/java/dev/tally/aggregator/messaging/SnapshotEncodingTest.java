package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.DataOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partition's snapshot is encoded off the stage's thread: while it is, that partition's records wait and the other
 * partitions go on; then the waiting records are applied, in order, each once (real Kafka and PostgreSQL; the
 * encoding is held until the test lets it go, which holds the process's one encoder: other engines' snapshots wait).
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class SnapshotEncodingTest {

    @Inject
    StreamEngines engines;

    @Inject
    MeterRegistry registry;

    @Test
    void aPartitionWaitsForItsSnapshotWhileTheOthersGoOnAndLosesNothing() throws Exception {
        EngineContext context = engines.context();
        ViewVersion version = new ViewVersion(78);
        String input = "snapshot-encoding-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                context.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(input, 2, (short) 1),
                    new NewTopic(version.topic(Topics.PAGE_STATS), 1, (short) 1),
                    new NewTopic(version.topic(Topics.GROUP_STATS), 1, (short) 1))).all().get();
        }
        AtomicBoolean hold = new AtomicBoolean();
        CountDownLatch encoding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> applied = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        // partition 0's committed offset as its snapshot is taken: after the batch of its second record, or after a
        // tick (a batch without records) that came first, when that record then waits too
        java.util.concurrent.atomic.AtomicLong atSnapshot = new java.util.concurrent.atomic.AtomicLong(-1);
        StageTwo stage = new StageTwo(version, context) {
            @Override
            io.smallrye.mutiny.Uni<Map<Integer, Change>> process(io.vertx.mutiny.sqlclient.SqlConnection conn,
                    Map<Integer, State> touched, Map<Integer, List<Read<PartialPacks.Input>>> fresh) {
                fresh.getOrDefault(0, List.of()).forEach(read -> applied.add(read.offset()));
                return super.process(conn, touched, fresh);
            }

            @Override
            void writeState(State state, DataOutput out) throws IOException {
                if (!hold.get()) { // not the snapshot of this test (one is taken as a partition is assigned)
                    super.writeState(state, out);
                    return;
                }
                atSnapshot.set(state.committedOffset);
                encoding.countDown();
                try {
                    assertTrue(release.await(60, TimeUnit.SECONDS), "the test did not let the snapshot go");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.writeState(state, out);
            }
        };
        // a page read from each partition of the input (as stage 1 sends them: keyed by page)
        String first = page(0);
        String second = page(1);
        Instant start = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        StageConsumer<PartialPacks.Input> consumer = new StageConsumer<>(stage, input, "snapshot-encoding",
                context.bootstrapServers(), 100, 1_000);
        try (KafkaTestClient client = new KafkaTestClient(context.bootstrapServers())) {
            consumer.start();
            client.send(input, first, partial(first, start, 1, 1));
            client.send(input, second, partial(second, start, 1, 1));
            await().atMost(Duration.ofSeconds(60)).until(() -> committed(stage, 0) == 1 && committed(stage, 1) == 1);

            hold.set(true);
            stage.states.get(0).snapshotLost = true; // the next batch of partition 0 takes a snapshot
            client.send(input, first, partial(first, start, 2, 2));
            assertTrue(encoding.await(60, TimeUnit.SECONDS), "no snapshot was taken");
            client.send(input, first, partial(first, start, 3, 3));
            client.send(input, second, partial(second, start, 5, 2));
            await().atMost(Duration.ofSeconds(60)).until(() -> committed(stage, 1) == 2);
            assertTrue(atSnapshot.get() == 1 || atSnapshot.get() == 2, "snapshot taken at " + atSnapshot.get());
            assertEquals(atSnapshot.get(), committed(stage, 0), "partition 0's records wait for its snapshot");
            assertTrue(stage.states.get(0).encoding);

            release.countDown();
            await().atMost(Duration.ofSeconds(60)).until(() -> committed(stage, 0) == 3);
            Map<String, Long> views = new HashMap<>();
            List<ConsumerRecord<String, String>> results = client.readFromStart(version.topic(Topics.PAGE_STATS),
                    Duration.ofSeconds(30), read -> {
                        views.clear();
                        read.forEach(record -> views.put(pageOf(record), viewsOf(record)));
                        return views.getOrDefault(first, 0L) == 3 && views.getOrDefault(second, 0L) == 5;
                    });
            assertEquals(Map.of(first, 3L, second, 5L), views, "the last totals, from " + results.size() + " results");
            assertEquals(List.of(0L, 1L, 2L), applied, "partition 0's records, each once, in order");
            await().atMost(Duration.ofSeconds(30)).until(() -> !stage.states.get(0).snapshotPending);
        } finally {
            release.countDown();
            consumer.close();
            StreamEngine.forgetMeters(registry, version);
        }
    }

    /** A page whose records go to {@code partition} of a two-partition topic. */
    private static String page(int partition) {
        return IntStream.range(0, 1_000).mapToObj(i -> "/snapshot-" + i)
                .filter(page -> PartialPacks.partitionOf(page, 2) == partition).findFirst().orElseThrow();
    }

    private static long committed(StageTwo stage, int partition) {
        StageTwo.State state = stage.states.get(partition);
        return state == null ? -1 : state.committedOffset;
    }

    /** Source partition 5's partial of the page's minute: {@code views} so far, in its {@code version}. */
    private static PagePartial partial(String page, Instant start, long views, long version) {
        return new PagePartial(PagePartial.PARTIAL, 5, null, "minute", page,
                new WindowRef("tumbling", "PT1M", null, start, start.plusSeconds(60)), views, views, "exact", 0.0,
                BigDecimal.ZERO, version, null, null, null);
    }

    private static String pageOf(ConsumerRecord<String, String> record) {
        return json(record).path("page_id").asText();
    }

    private static long viewsOf(ConsumerRecord<String, String> record) {
        return json(record).path("views").asLong();
    }

    private static JsonNode json(ConsumerRecord<String, String> record) {
        try {
            return KafkaTestClient.JSON.readTree(record.value());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
