package dev.tally.ingest.domain;

import org.apache.datasketches.hash.MurmurHash3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The event ids written within a horizon, kept as 128-bit fingerprints (MurmurHash3 of the id's UTF-8) in plain
 * {@code long} arrays: no object per id. A cache of strings cost about 200 bytes an id (the string, a map node, a
 * cache node), each living the whole horizon: at 10,000 events/s the two million ids of the default bound filled
 * most of a 512 MB heap, and every young collection copied thousands of them into the old generation and scanned
 * the old map's table for references to the new ones (pauses of 100-200 ms every 2-3 s, each one felt by every
 * request in flight). Here an id costs 32 to 64 bytes (tables are kept at most half full), in a few large arrays
 * that hold no references, so the collector has nothing in them to trace.
 * <p>
 * Ids go into generations. A new one starts when the current one holds a quarter of the bound or is a quarter of
 * the horizon old; a generation goes once its newest id is past the horizon, or, the oldest first, while more than
 * the bound is held. So an id is remembered for the horizon (and up to a quarter of it more) unless the bound
 * forgets it first; then the memory holds between three quarters of the bound and the bound, the oldest going a
 * quarter at a time: at 10,000 events/s the default two million last about three minutes. Two ids with the same
 * fingerprint would be taken for one another; among two million ids the chance of that is about 2^-87.
 * <p>
 * Thread-safe: requests on every event loop ask and add, under one lock, for a lookup in each generation held
 * (four or five; the newest first, where a retry's id usually is).
 * <p>
 * Times are in milliseconds from any origin, from a clock that does not go back.
 */
public final class WrittenIds {
    /** How many parts of the horizon, and of the bound, a generation covers. */
    private static final int PARTS = 4;
    private static final long SEED = 0x7A11_1D5L;

    private final long horizonMillis;
    private final int perGeneration;
    private final long maxIds;
    /** Oldest first. */
    private final ArrayDeque<Generation> generations = new ArrayDeque<>();
    private long size;
    private long forgottenEarly;

    public WrittenIds(java.time.Duration horizon, long maxIds) {
        if (horizon.isNegative() || horizon.isZero() || maxIds < 1) {
            throw new IllegalArgumentException("the horizon and the bound must be positive: " + horizon + ", "
                    + maxIds);
        }
        this.horizonMillis = horizon.toMillis();
        this.maxIds = maxIds;
        this.perGeneration = (int) Math.min(1 << 28, Math.max(1, (maxIds + PARTS - 1) / PARTS));
    }

    /** The fingerprint of an event id: what {@link #contains} and {@link #add} take, made once per id. */
    public static long[] fingerprint(String eventId) {
        byte[] utf8 = eventId.getBytes(StandardCharsets.UTF_8);
        return MurmurHash3.hash(utf8, 0, utf8.length, SEED);
    }

    /** True if {@code eventId} was added within the horizon (and not forgotten early because of the bound). */
    public boolean contains(String eventId, long nowMillis) {
        return contains(fingerprint(eventId), nowMillis);
    }

    /** True if the id of this {@link #fingerprint} was added within the horizon (and not forgotten early). */
    public synchronized boolean contains(long[] fingerprint, long nowMillis) {
        expire(nowMillis);
        return holds(fingerprint);
    }

    /** Remembers {@code eventId} as written at {@code nowMillis}. */
    public void add(String eventId, long nowMillis) {
        add(fingerprint(eventId), nowMillis);
    }

    /** Remembers the id of this {@link #fingerprint} as written at {@code nowMillis}. */
    public synchronized void add(long[] fingerprint, long nowMillis) {
        expire(nowMillis);
        if (holds(fingerprint)) {
            return;
        }
        Generation current = generations.peekLast();
        if (current == null || current.size >= perGeneration
                || nowMillis - current.startedAt >= horizonMillis / PARTS) {
            current = new Generation(nowMillis);
            generations.addLast(current);
        }
        current.add(fingerprint[0], fingerprint[1], nowMillis);
        size++;
        while (size > maxIds && generations.size() > 1) {
            Generation oldest = generations.removeFirst();
            size -= oldest.size;
            forgottenEarly += oldest.size;
        }
    }

    private boolean holds(long[] fingerprint) {
        for (Iterator<Generation> newestFirst = generations.descendingIterator(); newestFirst.hasNext(); ) {
            if (newestFirst.next().contains(fingerprint[0], fingerprint[1])) {
                return true;
            }
        }
        return false;
    }

    /** Drops the generations whose every id is past the horizon. */
    private void expire(long nowMillis) {
        Generation oldest;
        while ((oldest = generations.peekFirst()) != null && nowMillis - oldest.newestAt > horizonMillis) {
            generations.removeFirst();
            size -= oldest.size;
        }
    }

    /** How many ids are held. */
    public synchronized long size() {
        return size;
    }

    /** How many ids were let go before the horizon because more than the bound would have been held. */
    public synchronized long forgottenEarly() {
        return forgottenEarly;
    }

    /** An open-addressing table of fingerprints, pairs of longs; (0, 0) marks an empty slot. */
    private static final class Generation {
        final long startedAt;
        long newestAt;
        long[] slots = new long[2 * 1024];
        int size;
        /** Whether the fingerprint (0, 0) was added: it cannot be stored, as it marks an empty slot. */
        boolean zero;

        Generation(long startedAt) {
            this.startedAt = startedAt;
            this.newestAt = startedAt;
        }

        boolean contains(long high, long low) {
            if (high == 0 && low == 0) {
                return zero;
            }
            int mask = slots.length / 2 - 1;
            for (int slot = (int) (high ^ (high >>> 32)) & mask; ; slot = (slot + 1) & mask) {
                long h = slots[2 * slot];
                long l = slots[2 * slot + 1];
                if (h == 0 && l == 0) {
                    return false;
                }
                if (h == high && l == low) {
                    return true;
                }
            }
        }

        /** Adds a fingerprint that it does not hold. */
        void add(long high, long low, long nowMillis) {
            newestAt = Math.max(newestAt, nowMillis);
            size++;
            if (high == 0 && low == 0) {
                zero = true;
                return;
            }
            if (2 * size > slots.length / 2) {
                grow();
            }
            place(slots, high, low);
        }

        private void grow() {
            long[] old = slots;
            slots = new long[old.length * 2];
            for (int i = 0; i < old.length; i += 2) {
                if (old[i] != 0 || old[i + 1] != 0) {
                    place(slots, old[i], old[i + 1]);
                }
            }
        }

        private static void place(long[] slots, long high, long low) {
            int mask = slots.length / 2 - 1;
            int slot = (int) (high ^ (high >>> 32)) & mask;
            while (slots[2 * slot] != 0 || slots[2 * slot + 1] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[2 * slot] = high;
            slots[2 * slot + 1] = low;
        }

    }
}
