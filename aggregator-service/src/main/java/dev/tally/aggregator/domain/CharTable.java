package dev.tally.aggregator.domain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An exact set of strings that hands out a dense id per distinct string, for the batch job's hot path: event ids
 * (to count each once), users and pages (so that per-key user sets hold ints, not strings). Open addressing over
 * one growing byte arena, so millions of short strings cost their characters plus about 16 bytes each instead of a
 * {@code String} and a map node; strings whose characters all fit in Latin-1 take one byte per character. Lookups
 * take the caller's reusable buffer, so a lookup of a string already seen allocates nothing.
 * <p>
 * Exact: a hash match is confirmed by comparing the stored characters, never trusted alone.
 */
public final class CharTable {
    private static final int LATIN1 = 0;
    private static final int UTF16 = 1;

    private byte[] arena;
    private int arenaUsed;
    private int[] starts;
    /** Characters, shifted left by one; the low bit says how they are stored (LATIN1 or UTF16). */
    private int[] lengths;
    /**
     * Per slot, the string's hash in the high half and its id + 1 in the low half, 0 when empty: a probe compares
     * hashes without leaving the slot array (one cache miss per lookup in a table of millions). A power of two, at
     * most half full.
     */
    private long[] slots;
    private int size;

    public CharTable() {
        this(64, 16);
    }

    /**
     * A table sized for {@code expected} strings of about {@code charsEach} characters, so that filling it to that
     * size never rehashes nor copies its arena (a batch task knows how many records it reads). More still fit:
     * it grows as usual.
     */
    public CharTable(int expected, int charsEach) {
        int capacity = Math.max(64, expected);
        starts = new int[capacity];
        lengths = new int[capacity];
        slots = new long[Math.max(128, Integer.highestOneBit(capacity - 1) << 2)];
        arena = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Math.max(1 << 12, (long) capacity * charsEach))];
    }

    /** How many distinct strings it holds; ids run from 0 to size - 1. */
    public int size() {
        return size;
    }

    /** The id of {@code chars[offset, offset + length)}, adding it if it is new (then its id is {@code size() - 1}). */
    public int intern(char[] chars, int offset, int length) {
        return intern(chars, offset, length, hash(chars, offset, length));
    }

    /** {@link #intern(char[], int, int)} with the string's {@link #hash(char[], int, int)} already computed. */
    int intern(char[] chars, int offset, int length, int hash) {
        int mask = slots.length - 1;
        int slot = hash & mask;
        while (true) {
            long entry = slots[slot];
            if (entry == 0) {
                break;
            }
            if ((int) (entry >>> 32) == hash) {
                int id = (int) entry - 1;
                if (equalsStored(id, chars, offset, length)) {
                    return id;
                }
            }
            slot = (slot + 1) & mask;
        }
        int id = add(chars, offset, length, hash);
        slots[slot] = ((long) hash << 32) | (id + 1L);
        if (size * 2 > slots.length) {
            rehash();
        }
        return id;
    }

    /**
     * The id of the ASCII string in {@code bytes[offset, offset + length)} (every byte below 0x80: the caller has
     * checked), adding it if new: the same id as the same characters given as chars.
     */
    public int intern(byte[] bytes, int offset, int length) {
        return intern(bytes, offset, length, hash(bytes, offset, length));
    }

    /**
     * {@link #intern(byte[], int, int)} with the string's {@link #hash(byte[], int, int)} already computed. The same
     * probe as {@link #intern(char[], int, int, int)}, written out again for bytes: a shared loop taking the
     * comparison as a function would cost a call per probe on the batch job's hottest path.
     */
    int intern(byte[] bytes, int offset, int length, int hash) {
        int mask = slots.length - 1;
        int slot = hash & mask;
        while (true) {
            long entry = slots[slot];
            if (entry == 0) {
                break;
            }
            if ((int) (entry >>> 32) == hash) {
                int id = (int) entry - 1;
                if (lengths[id] == (length << 1 | LATIN1) && equalsStored(starts[id], bytes, offset, length)) {
                    return id;
                }
            }
            slot = (slot + 1) & mask;
        }
        int id = add(bytes, offset, length);
        slots[slot] = ((long) hash << 32) | (id + 1L);
        if (size * 2 > slots.length) {
            rehash();
        }
        return id;
    }

    public int intern(String text) {
        char[] chars = text.toCharArray();
        return intern(chars, 0, chars.length);
    }

    /** The string of {@code id}. */
    public String get(int id) {
        int start = starts[id];
        int chars = lengths[id] >>> 1;
        if ((lengths[id] & 1) == LATIN1) {
            return new String(arena, start, chars, StandardCharsets.ISO_8859_1);
        }
        char[] out = new char[chars];
        for (int i = 0; i < chars; i++) {
            out[i] = (char) (((arena[start + 2 * i] & 0xff) << 8) | (arena[start + 2 * i + 1] & 0xff));
        }
        return new String(out);
    }

    private int add(char[] chars, int offset, int length, int hash) {
        boolean latin1 = true;
        for (int i = 0; i < length; i++) {
            if (chars[offset + i] > 0xff) {
                latin1 = false;
                break;
            }
        }
        int bytes = latin1 ? length : 2 * length;
        reserve(bytes);
        int start = arenaUsed;
        if (latin1) {
            for (int i = 0; i < length; i++) {
                arena[start + i] = (byte) chars[offset + i];
            }
        } else {
            for (int i = 0; i < length; i++) {
                char c = chars[offset + i];
                arena[start + 2 * i] = (byte) (c >>> 8);
                arena[start + 2 * i + 1] = (byte) c;
            }
        }
        return record(start, length, latin1 ? LATIN1 : UTF16);
    }

    /** Makes room for {@code bytes} more bytes in the arena. */
    private void reserve(int bytes) {
        if (arenaUsed + bytes > arena.length) {
            long wanted = Math.max((long) arena.length * 2, (long) arenaUsed + bytes);
            if (wanted > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("more than 2 GB of distinct strings in one batch task");
            }
            arena = Arrays.copyOf(arena, (int) wanted);
        }
    }

    /** Records the string just written at {@code start} of the arena; its id. */
    private int record(int start, int length, int coding) {
        arenaUsed += coding == LATIN1 ? length : 2 * length;
        if (size == starts.length) {
            int grown = size * 2;
            starts = Arrays.copyOf(starts, grown);
            lengths = Arrays.copyOf(lengths, grown);
        }
        starts[size] = start;
        lengths[size] = (length << 1) | coding;
        return size++;
    }

    private int add(byte[] bytes, int offset, int length) {
        reserve(length);
        System.arraycopy(bytes, offset, arena, arenaUsed, length);
        return record(arenaUsed, length, LATIN1);
    }

    private boolean equalsStored(int start, byte[] bytes, int offset, int length) {
        for (int i = 0; i < length; i++) {
            if (arena[start + i] != bytes[offset + i]) {
                return false;
            }
        }
        return true;
    }

    private boolean equalsStored(int id, char[] chars, int offset, int length) {
        if ((lengths[id] >>> 1) != length) {
            return false;
        }
        int start = starts[id];
        if ((lengths[id] & 1) == LATIN1) {
            for (int i = 0; i < length; i++) {
                if ((arena[start + i] & 0xff) != chars[offset + i]) {
                    return false;
                }
            }
            return true;
        }
        for (int i = 0; i < length; i++) {
            char stored = (char) (((arena[start + 2 * i] & 0xff) << 8) | (arena[start + 2 * i + 1] & 0xff));
            if (stored != chars[offset + i]) {
                return false;
            }
        }
        return true;
    }

    private void rehash() {
        long[] grown = new long[slots.length * 2];
        int mask = grown.length - 1;
        for (long entry : slots) {
            if (entry != 0) {
                int slot = (int) (entry >>> 32) & mask;
                while (grown[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                grown[slot] = entry;
            }
        }
        slots = grown;
    }

    /**
     * Reads the slot where a string of this hash is looked up first, and nothing else: called for a batch of
     * strings before they are interned, it lets their cache misses overlap instead of coming one after another.
     * Returns the slot so that the read is not optimized away.
     */
    long touch(int hash) {
        return slots[hash & (slots.length - 1)];
    }

    static int hash(char[] chars, int offset, int length) {
        int h = 0;
        for (int i = 0; i < length; i++) {
            h = 31 * h + chars[offset + i];
        }
        return spread(h);
    }

    /** The same hash as {@link #hash(char[], int, int)} of the same ASCII characters. */
    static int hash(byte[] bytes, int offset, int length) {
        int h = 0;
        for (int i = 0; i < length; i++) {
            h = 31 * h + bytes[offset + i];
        }
        return spread(h);
    }

    /** Spreads the bits so that the low ones, which pick the slot, depend on every character. */
    private static int spread(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 15);
    }
}
