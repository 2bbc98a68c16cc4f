package dev.tally.ingest.domain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory of written ids holds what a set holds, for the horizon, within its bound, from many threads. */
class WrittenIdsTest {
    private static final long T0 = 1_790_000_000_000L;

    @Test
    void itHoldsWhatASetHoldsThroughManyGenerationsAndGrownTables() {
        Random random = new Random(3);
        WrittenIds ids = new WrittenIds(Duration.ofHours(1), 40_000);
        Set<String> added = new HashSet<>();
        for (int i = 0; i < 30_000; i++) {
            String id = "e-" + random.nextInt(60_000);
            assertEquals(added.contains(id), ids.contains(id, T0), id);
            ids.add(id, T0);
            added.add(id);
        }
        assertEquals(added.size(), ids.size());
        for (int i = 0; i < 60_000; i++) {
            String id = "e-" + i;
            assertEquals(added.contains(id), ids.contains(new String(id), T0), id);
        }
        assertEquals(0, ids.forgottenEarly());
    }

    @Test
    void anIdIsRememberedForTheHorizonAndForgottenWithinAQuarterMore() {
        Duration horizon = Duration.ofMinutes(15);
        long h = horizon.toMillis();
        for (long offset : new long[] {0, h / 8, h / 4 - 1, h / 4, h / 2 + 17}) {
            WrittenIds ids = new WrittenIds(horizon, 1_000_000);
            ids.add("first", T0); // starts the generation the id may share
            long at = T0 + offset;
            ids.add("id", at);
            // ids keep coming, so the id's generation takes them for as long as it is the current one
            for (long now = at; now <= at + h; now += 10_000) {
                ids.add("filler-" + now, now);
                assertTrue(ids.contains("id", now), "offset " + offset + ": remembered " + (now - at) + " ms on");
            }
            assertTrue(ids.contains("id", at + h), "offset " + offset + ": remembered for the whole horizon");
            long late = at + h + h / 4 + 1;
            ids.add("filler-late", late);
            assertFalse(ids.contains("id", late), "offset " + offset + ": forgotten a quarter of the horizon later");
        }
    }

    @Test
    void pastTheBoundTheOldestGoFirstAndAreCounted() {
        WrittenIds ids = new WrittenIds(Duration.ofDays(1), 1_000);
        for (int i = 0; i < 5_000; i++) {
            ids.add("e-" + i, T0 + i);
            assertTrue(ids.size() <= 1_000, "never more than the bound: " + ids.size());
        }
        assertTrue(ids.size() >= 750, "at least three quarters of the bound: " + ids.size());
        assertEquals(5_000 - ids.size(), ids.forgottenEarly());
        for (int i = 5_000 - 750; i < 5_000; i++) {
            assertTrue(ids.contains("e-" + i, T0 + 5_000), "the newest are held: e-" + i);
        }
        assertFalse(ids.contains("e-0", T0 + 5_000));
    }

    @Test
    void idsAddedFromManyThreadsAreAllHeld() throws Exception {
        WrittenIds ids = new WrittenIds(Duration.ofMinutes(15), 1_000_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> added = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                added.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        String id = UUID.randomUUID().toString();
                        ids.add(id, T0);
                        mine.add(id);
                    }
                    return mine;
                }));
            }
            for (Future<List<String>> each : added) {
                for (String id : each.get()) {
                    assertTrue(ids.contains(id, T0), id);
                }
            }
            assertEquals(80_000, ids.size());
        } finally {
            pool.shutdownNow();
        }
    }
}
