package dev.tally.aggregator.domain;

import java.util.Arrays;

/**
 * The exact distinct users of one page on one day, as user ids from a {@link CharTable}. Adding appends to an
 * array, and the distinct count sorts it once and drops the repeats: with thousands of keys and millions of
 * users, appending touches memory in order where a hash set would miss the cache on nearly every add. It holds at
 * most one int per view until {@link #size()} compacts it.
 */
final class IntSet {
    private int[] values = new int[8];
    private int length;
    private int sortedDistinct;

    void add(int value) {
        if (length == values.length) {
            if (sortedDistinct < length) {
                compact(); // repeats first: the array then grows only with distinct users
            }
            if (length * 2 > values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
        }
        values[length++] = value;
    }

    /** How many distinct values were added. */
    int size() {
        if (sortedDistinct < length) {
            compact();
        }
        return length;
    }

    private void compact() {
        Arrays.sort(values, 0, length);
        int distinct = 0;
        for (int i = 0; i < length; i++) {
            if (distinct == 0 || values[distinct - 1] != values[i]) {
                values[distinct++] = values[i];
            }
        }
        length = distinct;
        sortedDistinct = distinct;
    }
}
