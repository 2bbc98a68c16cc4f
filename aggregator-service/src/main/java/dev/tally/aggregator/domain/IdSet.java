package dev.tally.aggregator.domain;

import java.util.Arrays;

/**
 * Distinct ids (of users, of pages) in the order they first came, in one array, with their hash codes beside them:
 * up to {@link #SCAN} ids a lookup scans the hash codes, beyond that an open-addressing table of positions finds
 * them. Most sets of a stream hold a handful of ids (a page's users in a minute of one partition, the pages of a
 * session); a {@code HashSet}, with a node per id, cost more memory and more cache misses than the ids themselves,
 * and comparing hash codes first reads no id but the one that matches. Not thread-safe.
 */
class IdSet {
    /** Up to this many ids a lookup scans their hash codes; beyond, it uses {@link #slots}. */
    private static final int SCAN = 8;

    /** ids[0..size) in the order they were first added; null while empty. */
    private String[] ids;
    private int[] hashes;
    private int size;
    /** Beyond {@link #SCAN} ids: open addressing, each slot a position in {@link #ids} plus one (0: empty). */
    private int[] slots;

    /** Adds {@code id}; true if it was not there. */
    final boolean addId(String id) {
        return addId(id, id.hashCode());
    }

    /** Adds {@code id}, whose {@code hashCode()} is {@code hash}; true if it was not there. */
    final boolean addId(String id, int hash) {
        if (contains(id, hash)) {
            return false;
        }
        append(id, hash);
        return true;
    }

    final boolean contains(String id, int hash) {
        if (slots == null) {
            for (int i = 0; i < size; i++) {
                if (hashes[i] == hash && ids[i].equals(id)) {
                    return true;
                }
            }
            return false;
        }
        int mask = slots.length - 1;
        for (int slot = spread(hash) & mask; slots[slot] != 0; slot = (slot + 1) & mask) {
            int at = slots[slot] - 1;
            if (hashes[at] == hash && ids[at].equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** How many ids it holds. */
    final int idCount() {
        return size;
    }

    /** The id added {@code i}-th (from 0). */
    final String id(int i) {
        return ids[i];
    }

    /** The hash code of {@link #id(int) id(i)}. */
    final int idHash(int i) {
        return hashes[i];
    }

    /** The ids in the order they came. */
    final String[] ids() {
        return ids == null ? new String[0] : Arrays.copyOf(ids, size);
    }

    /** Empties the set and lets its arrays go. */
    final void clearIds() {
        ids = null;
        hashes = null;
        slots = null;
        size = 0;
    }

    private void append(String id, int hash) {
        if (ids == null) {
            ids = new String[2];
            hashes = new int[2];
        } else if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            hashes = Arrays.copyOf(hashes, size * 2);
        }
        ids[size] = id;
        hashes[size] = hash;
        size++;
        if (slots != null && size * 2 > slots.length) {
            index(slots.length * 2);
        } else if (slots != null) {
            place(size - 1);
        } else if (size > SCAN) {
            index(Integer.highestOneBit(size) * 4);
        }
    }

    /** Rebuilds {@link #slots} with {@code capacity} slots (a power of two, at least twice the ids). */
    private void index(int capacity) {
        slots = new int[capacity];
        for (int i = 0; i < size; i++) {
            place(i);
        }
    }

    private void place(int at) {
        int mask = slots.length - 1;
        int slot = spread(hashes[at]) & mask;
        while (slots[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = at + 1;
    }

    /** Mixes a hash code so that its low bits, which pick a slot, depend on all of it. */
    static int spread(int hash) {
        int h = hash * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
