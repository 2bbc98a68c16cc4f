package dev.tally.aggregator.domain;

/**
 * A set of non-negative ints (user ids from a {@link CharTable}): the exact distinct users of one page on one day,
 * at about 8 bytes per user instead of a boxed entry in a {@code HashSet}.
 */
final class IntSet {
    /** value + 1 per slot, 0 when empty; a power of two, at most half full. */
    private int[] slots = new int[8];
    private int size;

    /** Adds {@code value} (≥ 0); true if it was not there. */
    boolean add(int value) {
        int stored = value + 1;
        int mask = slots.length - 1;
        int slot = mix(value) & mask;
        while (slots[slot] != 0) {
            if (slots[slot] == stored) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        slots[slot] = stored;
        size++;
        if (size * 2 > slots.length) {
            grow();
        }
        return true;
    }

    int size() {
        return size;
    }

    private void grow() {
        int[] old = slots;
        slots = new int[old.length * 2];
        int mask = slots.length - 1;
        for (int stored : old) {
            if (stored != 0) {
                int slot = mix(stored - 1) & mask;
                while (slots[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                slots[slot] = stored;
            }
        }
    }

    private static int mix(int value) {
        int h = value * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
