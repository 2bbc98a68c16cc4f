package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IntSetTest {

    /**
     * Counts as a HashSet does, for ids sparse (the set stays an array) and dense (it becomes a bitmap), after few
     * adds and after many: asked once at the end, since asking compacts the array.
     */
    @Test
    void countsDistinctValuesSparseOrDense() {
        Random random = new Random(3);
        for (int range : new int[]{1_000_000, 5_000, 70}) {
            for (int adds : new int[]{1, 8, 9, 17, 33, 100, 1_000, 20_000}) {
                IntSet set = new IntSet();
                Set<Integer> expected = new HashSet<>();
                for (int i = 0; i < adds; i++) {
                    // ids grow as a CharTable hands them out: a later value may lie past every earlier one
                    int value = random.nextInt(Math.min(range, 16 + i));
                    set.add(value);
                    expected.add(value);
                }
                assertEquals(expected.size(), set.size(), "range " + range + ", " + adds + " adds");
            }
        }
    }
}
