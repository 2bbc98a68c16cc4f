package dev.tally.aggregator;

import dev.tally.aggregator.domain.SourceRecord;
import dev.tally.aggregator.store.DailyCountsRepository;
import dev.tally.aggregator.store.DailyCountsRepository.Applied;
import dev.tally.aggregator.store.DailyCountsRepository.PageDay;
import dev.tally.contracts.ClickEvent;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The idempotent consumer keyed by offset, against the real PostgreSQL. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class DailyCountsRepositoryTest {

    @Inject
    DailyCountsRepository repository;

    private static SourceRecord record(int partition, long offset, String user, String page) {
        Instant time = Instant.parse("2026-11-23T10:00:00Z");
        return new SourceRecord(partition, offset,
                new ClickEvent(UUID.randomUUID().toString(), user, page, "view", time, null, time, null, null));
    }

    private Applied apply(String topic, List<SourceRecord> records) {
        return repository.apply(topic, records).await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void aBatchAppliedTwiceCountsOnce() {
        String topic = "test-" + UUID.randomUUID();
        String page = "/repo-" + UUID.randomUUID();
        List<SourceRecord> batch = List.of(record(0, 0, "alice", page), record(0, 1, "bob", page),
                record(1, 0, "alice", page));

        Applied first = apply(topic, batch);
        assertEquals(3, first.counted());
        assertEquals(List.of(new PageDay(page, java.time.LocalDate.parse("2026-11-23"), 3, 2, 1)), first.changed());

        Applied again = apply(topic, batch);
        assertEquals(0, again.counted());
        assertEquals(3, again.skipped());
        assertEquals(List.of(), again.changed());
    }

    @Test
    void anEventIdWrittenTwiceToTheLogCountsOnce() {
        String topic = "test-" + UUID.randomUUID();
        String page = "/repo-" + UUID.randomUUID();
        SourceRecord original = record(0, 0, "alice", page);
        // the same event at a later offset (a client retry that reached Kafka twice), and twice in one batch
        SourceRecord retry = new SourceRecord(0, 7, original.event());
        Applied first = apply(topic, List.of(original, record(0, 1, "bob", page), retry));
        assertEquals(2, first.counted());
        assertEquals(1, first.duplicates());
        SourceRecord later = new SourceRecord(1, 3, original.event());
        Applied second = apply(topic, List.of(later));
        assertEquals(0, second.counted());
        assertEquals(1, second.duplicates());
        assertEquals(List.of(), second.changed());
        assertEquals(4L, second.nextOffsets().get(1), "the offset moves on past the duplicate");
    }

    @Test
    void anOverlappingBatchCountsOnlyItsNewRecords() {
        String topic = "test-" + UUID.randomUUID();
        String page = "/repo-" + UUID.randomUUID();
        List<SourceRecord> first = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            first.add(record(0, i, "user-" + (i % 4), page));
        }
        apply(topic, first);
        // a redelivery of offsets 5..14 after a crash: 5..9 were counted already
        List<SourceRecord> second = new ArrayList<>();
        for (int i = 5; i < 15; i++) {
            second.add(i < 10 ? first.get(i) : record(0, i, "user-" + i, page));
        }
        Applied applied = apply(topic, second);
        assertEquals(5, applied.counted());
        assertEquals(5, applied.skipped());
        PageDay row = applied.changed().get(0);
        assertEquals(15, row.views());
        assertEquals(4 + 5, row.uniqueUsers());
        assertEquals(2, row.version());
        assertEquals(15L, applied.nextOffsets().get(0));
    }
}
