package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static dev.tally.aggregator.domain.StateBytes.bytes;
import static dev.tally.aggregator.domain.StateBytes.in;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The exact set (scanned while small, then indexed) counts what a {@code HashSet} counts, and a counter restored
 * from a snapshot and the deltas after it counts what the live one counts, through the switch to the sketch (an
 * exact set also byte for byte, users in the order they came).
 */
class UniqueCounterTest {

    @Test
    void exactCountsAreThoseOfAHashSetAtEverySize() {
        Random random = new Random(7);
        for (int round = 0; round < 50; round++) {
            UniqueCounter counter = new UniqueCounter(100_000);
            Set<String> expected = new HashSet<>();
            int pool = 1 + random.nextInt(3_000);
            for (int i = 0; i < 5_000; i++) {
                // new String: equal users are equal strings, not the same object
                String user = new String("user-" + random.nextInt(pool));
                assertEquals(expected.add(user), counter.add(user), user);
                assertEquals(expected.size(), counter.estimate());
            }
            assertEquals("exact", counter.method());
        }
    }

    @Test
    void restoredFromSnapshotAndDeltasItIsTheLiveCounter() throws IOException {
        for (int limit : new int[] {3, 9, 40, 1_000}) {
            Random random = new Random(limit);
            UniqueCounter live = new UniqueCounter(limit);
            byte[] snapshot = bytes(live::writeTo);
            List<byte[]> deltas = new ArrayList<>();
            for (int batch = 0; batch < 60; batch++) {
                for (int i = random.nextInt(30); i > 0; i--) {
                    live.add("u" + random.nextInt(200));
                }
                if (random.nextInt(5) == 0) {
                    snapshot = bytes(live::writeTo);
                    deltas.clear();
                } else {
                    deltas.add(bytes(live::writeChanges));
                }
                live.checkpointed();

                UniqueCounter restored = UniqueCounter.readFrom(in(snapshot), limit);
                for (byte[] delta : deltas) {
                    restored.readChanges(in(delta));
                }
                restored.checkpointed();
                assertEquals(live.method(), restored.method(), "limit " + limit + " batch " + batch);
                assertEquals(live.estimate(), restored.estimate(), "limit " + limit + " batch " + batch);
                if (live.isExact()) { // a sketch may lay out the same coupons in another order
                    assertArrayEquals(bytes(live::writeTo), bytes(restored::writeTo), "limit " + limit + " batch "
                            + batch);
                }
            }
            assertEquals(limit < 200 ? "hll" : "exact", live.method(), "limit " + limit);
        }
    }

    @Test
    void aUnionTableCountsWhatTheUnionCountsAndSaysWhenOnlyTheUnionCan() {
        Random random = new Random(11);
        UniqueCounter.UnionTable table = new UniqueCounter.UnionTable(); // one table for every count, as in a partition
        for (int round = 0; round < 300; round++) {
            int limit = 1 + random.nextInt(400);
            List<UniqueCounter> parts = new ArrayList<>();
            Set<String> expected = new HashSet<>();
            int pool = 1 + random.nextInt(600);
            for (int p = random.nextInt(6); p >= 0; p--) {
                UniqueCounter part = new UniqueCounter(10_000);
                for (int i = random.nextInt(120); i > 0; i--) {
                    String user = new String("u" + random.nextInt(pool)); // equal, not the same object
                    part.add(user);
                    expected.add(user);
                }
                parts.add(part);
            }
            UniqueCounter union = UniqueCounter.union(parts, limit);
            long counted = table.count(parts, limit);
            if (expected.size() <= limit) {
                assertEquals(expected.size(), counted, "round " + round);
                assertEquals(union.estimate(), counted, "round " + round);
                assertEquals("exact", union.method());
            } else {
                assertEquals(-1, counted, "round " + round + ": past the limit only the union can say");
                assertEquals("hll", union.method());
            }
        }
        // many parts whose sizes add up to far more than the limit: the table is sized by the limit
        List<UniqueCounter> many = new ArrayList<>();
        for (int p = 0; p < 3_600; p++) {
            UniqueCounter part = new UniqueCounter(10_000);
            for (int i = 0; i < 50; i++) {
                part.add("u" + ((p * 7 + i) % 900));
            }
            many.add(part);
        }
        assertEquals(900, table.count(many, 1_000));
        assertEquals(-1, table.count(many, 899));
        UniqueCounter sketch = new UniqueCounter(2);
        List.of("a", "b", "c").forEach(sketch::add);
        UniqueCounter exact = new UniqueCounter(10);
        exact.add("a");
        assertEquals(-1, table.count(List.of(exact, sketch), 10), "a sketch among the parts");
        assertEquals(1, table.count(List.of(exact), 10));
    }
}
