package dev.tally.aggregator.store;

import dev.tally.aggregator.store.StreamStateRepository.Checkpoint;
import dev.tally.aggregator.store.StreamStateRepository.FencedException;
import dev.tally.aggregator.store.StreamStateRepository.PartitionCommit;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partition's checkpoint in the real PostgreSQL: deltas numbered by the batches that commit them, a snapshot stored
 * beside them that replaces only the deltas it includes, and a store that tells a stale or orphaned snapshot from one
 * to keep.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class CheckpointStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int PARTITION = 3;

    @Inject
    StreamStateRepository repository;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    /** The deltas kept in the table, whatever a load would skip. */
    private long storedDeltas(String stage) {
        return pool.preparedQuery("SELECT count(*) FROM aggregator.checkpoint_delta WHERE stage = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(stage)).await().atMost(WAIT).iterator().next().getLong(0);
    }

    private static String stage() {
        return "v" + (1_000 + ThreadLocalRandom.current().nextInt(1_000_000)) + ".stage1"; // no other test's rows
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private void commit(String stage, long expectedOffset, long expectedSeq, long nextOffset, String delta) {
        repository.commit(stage, conn -> Uni.createFrom().item(List.of(new PartitionCommit(PARTITION, expectedOffset,
                expectedSeq, nextOffset, bytes(delta), null, List.of())))).await().atMost(WAIT);
    }

    private Checkpoint load(String stage) {
        Map<Integer, Checkpoint> loaded = repository.load(stage, List.of(PARTITION)).await().atMost(WAIT);
        return loaded.get(PARTITION);
    }

    private boolean store(String stage, long seq, String snapshot) {
        return repository.storeSnapshot(stage, PARTITION, seq, bytes(snapshot)).await().atMost(WAIT);
    }

    private static void assertDeltas(Checkpoint checkpoint, String... expected) {
        assertEquals(expected.length, checkpoint.deltas().size(), "deltas after the snapshot");
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(bytes(expected[i]), checkpoint.deltas().get(i));
        }
    }

    @Test
    void aSnapshotReplacesTheDeltasItIncludesAndNoOthers() {
        String stage = stage();
        assertNull(load(stage), "nothing committed yet");
        commit(stage, 0, 0, 10, "d1");
        commit(stage, 10, 1, 25, "d2");
        commit(stage, 25, 2, 25, "tick"); // a batch without records: the offset stays, the delta counts
        Checkpoint before = load(stage);
        assertEquals(25, before.nextOffset());
        assertEquals(3, before.deltaSeq());
        assertNull(before.snapshot());
        assertDeltas(before, "d1", "d2", "tick");

        assertTrue(store(stage, 2, "s2"));
        Checkpoint after = load(stage);
        assertArrayEquals(bytes("s2"), after.snapshot());
        assertDeltas(after, "tick");
        assertEquals(3, after.deltaSeq());
        assertEquals(1, storedDeltas(stage), "the deltas the snapshot includes are deleted");

        assertFalse(store(stage, 1, "s1"), "an older snapshot stored late changes nothing");
        assertArrayEquals(bytes("s2"), load(stage).snapshot());
        assertDeltas(load(stage), "tick");

        commit(stage, 25, 3, 40, "d4");
        assertTrue(store(stage, 4, "s4"));
        assertArrayEquals(bytes("s4"), load(stage).snapshot());
        assertDeltas(load(stage));
        assertEquals(0, storedDeltas(stage));
    }

    @Test
    void aSnapshotOfDeltasNeverCommittedOrOfADroppedCheckpointIsNotStored() {
        String stage = stage();
        assertFalse(store(stage, 1, "s1"), "no checkpoint");
        commit(stage, 0, 0, 10, "d1");
        assertFalse(store(stage, 2, "s2"), "delta 2 was never committed");
        assertNull(load(stage).snapshot());

        repository.drop(List.of(stage)).await().atMost(WAIT);
        assertNull(load(stage));
        assertFalse(store(stage, 1, "s1"), "the checkpoint is gone");
        commit(stage, 0, 0, 5, "again");
        Checkpoint anew = load(stage);
        assertNull(anew.snapshot(), "no snapshot of the dropped checkpoint is left to hide the new deltas");
        assertDeltas(anew, "again");
    }

    @Test
    void aBatchIsFencedWhenTheCheckpointMovedOnEvenWithoutANewOffset() {
        String stage = stage();
        commit(stage, 0, 0, 10, "d1");
        commit(stage, 10, 1, 10, "tick of another replica");
        assertThrows(FencedException.class, () -> commit(stage, 10, 1, 12, "late"));
        assertDeltas(load(stage), "d1", "tick of another replica");
    }
}
