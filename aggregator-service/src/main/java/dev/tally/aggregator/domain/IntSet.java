package dev.tally.aggregator.domain;

import java.util.Arrays;

/**
 * The exact distinct users of one page on one day, as user ids from a {@link CharTable} (dense, from 0). It starts
 * as an array that adding appends to, and the distinct count sorts it once and drops the repeats: with thousands
 * of keys and millions of users, appending touches memory in order where a hash set would miss the cache on nearly
 * every add. Once the distinct values are dense enough that one bit per possible id takes no more room than the
 * array, it turns into a bitmap, where an add is one OR and no sort is needed again.
 */
final class IntSet {
    private int[] values = new int[8];
    private int length;
    private int sortedDistinct;
    /** One bit per id once dense, else null. */
    private long[] bits;
    private int maxValue = -1;

    void add(int value) {
        if (bits != null) {
            int word = value >>> 6;
            if (word >= bits.length) {
                bits = Arrays.copyOf(bits, Math.max(word + 1, bits.length * 2));
            }
            bits[word] |= 1L << value;
            return;
        }
        if (value > maxValue) {
            maxValue = value;
        }
        if (length == values.length) {
            if (sortedDistinct < length) {
                compact(); // repeats first: the array then grows only with distinct users
                if (length * 32L >= maxValue + 1L) {
                    toBits();
                    add(value);
                    return;
                }
            }
            if (length * 2 > values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
        }
        values[length++] = value;
    }

    /** How many distinct values were added. */
    int size() {
        if (bits != null) {
            int count = 0;
            for (long word : bits) {
                count += Long.bitCount(word);
            }
            return count;
        }
        if (sortedDistinct < length) {
            compact();
        }
        return length;
    }

    private void toBits() {
        bits = new long[(maxValue >>> 6) + 1];
        for (int i = 0; i < length; i++) {
            bits[values[i] >>> 6] |= 1L << values[i];
        }
        values = null;
        length = 0;
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
