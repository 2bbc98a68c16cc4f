package dev.tally.aggregator.store;

import dev.tally.contracts.ClickEvent;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The dedup memory of stage 1 in the real PostgreSQL: an event id counts once, within a batch and across them. */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class SeenEventTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    StreamStateRepository repository;

    @Inject
    Pool pool;

    private static ClickEvent click(String id) {
        Instant now = Instant.now();
        return new ClickEvent(id, "user", "/page", "view", now, null, now, null, null);
    }

    private boolean[] firstSeen(int viewVersion, String... ids) {
        List<ClickEvent> events = java.util.Arrays.stream(ids).map(SeenEventTest::click).toList();
        return pool.withTransaction(conn -> repository.firstSeen(conn, viewVersion, events)).await().atMost(WAIT);
    }

    @Test
    void anIdCountsAtItsFirstPositionAndNeverAgain() {
        int viewVersion = 1_000 + ThreadLocalRandom.current().nextInt(1_000_000); // no other test's ids
        String a = "a-" + UUID.randomUUID();
        String b = "b-" + UUID.randomUUID();
        String c = "c-" + UUID.randomUUID();
        assertArrayEquals(new boolean[] {true, true, false}, firstSeen(viewVersion, a, b, a));
        assertArrayEquals(new boolean[] {false, true, false, false}, firstSeen(viewVersion, a, c, c, b));
        assertArrayEquals(new boolean[] {true}, firstSeen(viewVersion + 1, a), "another view version counts anew");
    }

}
