package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.tally.aggregator.domain.StateBytes.bytes;
import static dev.tally.aggregator.domain.StateBytes.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stage 1's memory of counted event ids: a repeat within the horizon is recognised, an id older than the horizon is
 * let go, the bound on ids holds (and what it let go early is counted), and a memory restored from a snapshot and
 * the deltas after it is the same as the one that wrote them.
 */
class SeenEventsTest {
    private static final Duration HORIZON = Duration.ofSeconds(4); // generations of one second

    private static boolean add(SeenEvents seen, String id, long now) {
        return seen.add(SeenEvents.fingerprint(id), now);
    }

    @Test
    void anIdCountsOnceWithinTheHorizon() {
        SeenEvents seen = new SeenEvents(HORIZON, 1_000);
        assertTrue(add(seen, "a", 0));
        assertTrue(add(seen, "b", 10));
        assertFalse(add(seen, "a", 20), "a repeat");
        assertFalse(add(seen, "a", 3_999), "still within the horizon");
        assertTrue(add(seen, "c", 2_500)); // a later generation
        assertEquals(3, seen.size());
        assertEquals(0, seen.forgottenEarly());
    }

    @Test
    void anIdIsLetGoOnceTheHorizonHasPassedItsGeneration() {
        SeenEvents seen = new SeenEvents(HORIZON, 1_000);
        assertTrue(add(seen, "old", 0));
        assertTrue(add(seen, "next", 1_000)); // starts the second generation
        assertTrue(add(seen, "now", 4_999));
        assertFalse(add(seen, "old", 4_999), "the newest id of its generation may be younger than the horizon");
        assertTrue(add(seen, "later", 5_000)); // every id of the first generation is now older than the horizon
        assertEquals(3, seen.size());
        assertTrue(add(seen, "old", 5_001), "forgotten, so counted again");
        assertFalse(add(seen, "next", 5_001));
        assertEquals(0, seen.forgottenEarly(), "forgetting at the horizon is not early");
    }

    @Test
    void aClockThatStepsBackDoesNotLetIdsGoEarly() {
        SeenEvents seen = new SeenEvents(HORIZON, 8); // generations of 2 ids
        assertTrue(add(seen, "a", 0));
        assertTrue(add(seen, "b", 999));
        assertTrue(add(seen, "c", 100)); // the clock stepped back; the first generation is full: a second starts
        assertTrue(add(seen, "d", 4_100)); // past the horizon of 100, not of 999
        assertFalse(add(seen, "b", 4_100), "b came at 999: remembered until 4,999");
    }

    @Test
    void clearedItRemembersNothing() {
        SeenEvents seen = new SeenEvents(HORIZON, 1_000);
        assertTrue(add(seen, "a", 10_000));
        seen.clear();
        assertEquals(0, seen.size());
        assertTrue(add(seen, "a", 100), "forgotten, and the clock starts again");
    }

    @Test
    void theBoundLetsTheOldestGoEarlyAndCountsThem() {
        SeenEvents seen = new SeenEvents(Duration.ofDays(1), 8); // generations of 2 ids
        for (int i = 0; i < 20; i++) {
            assertTrue(add(seen, "id-" + i, 1_000));
        }
        assertTrue(seen.size() <= 8 + 2, "at most the bound and one generation: " + seen.size());
        assertEquals(20 - seen.size(), seen.forgottenEarly());
        for (int i = 20 - 8; i < 20; i++) {
            assertFalse(add(seen, "id-" + i, 1_000), "the newest are remembered: id-" + i);
        }
        assertTrue(add(seen, "id-0", 1_000), "the oldest were let go");
    }

    @Test
    void aMemoryRestoredFromASnapshotAndDeltasIsTheSame() throws IOException {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            SeenEvents live = new SeenEvents(HORIZON, 200);
            byte[] snapshot = bytes(live::writeTo);
            List<byte[]> deltas = new ArrayList<>();
            long now = 0;
            for (int batch = 0; batch < 60; batch++) {
                now += random.nextInt(400);
                for (int i = random.nextInt(30); i > 0; i--) {
                    // repeats of recent and of old ids, and new ones
                    add(live, "id-" + random.nextInt(batch * 20 + 20), now);
                }
                if (random.nextInt(8) == 0) {
                    snapshot = bytes(live::writeTo);
                    deltas.clear();
                } else {
                    deltas.add(bytes(live::writeChanges));
                }
                live.checkpointed();

                SeenEvents restored = new SeenEvents(HORIZON, 200);
                read(snapshot, restored::readFrom);
                for (byte[] delta : deltas) {
                    read(delta, restored::readChanges);
                }
                assertArrayEquals(bytes(live::writeTo), bytes(restored::writeTo), "seed " + seed + " batch " + batch);
                assertEquals(live.size(), restored.size());
                long probe = now + random.nextInt(400);
                for (int i = 0; i < 10; i++) {
                    String id = "id-" + random.nextInt(batch * 20 + 40);
                    assertEquals(add(live, id, probe), add(restored, id, probe), id);
                }
                live = restored; // what the probes added goes into the next delta of either
            }
        }
    }
}
