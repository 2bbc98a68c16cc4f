package dev.tally.aggregator.domain;

import org.apache.datasketches.hash.MurmurHash3;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The event ids one clicks partition counted within the dedup horizon, so that a repeat of one (a client's retry that
 * reached the log twice: same event id, same user, so the same partition) is not counted again. Part of the
 * partition's state in stage 1: checkpointed with it in the batch's transaction (a delta holds the ids the batch
 * added), restored with it, and moved with it by a rebalance. As Kafka Streams and Flink keep such state with the
 * key, and for the same reason: a row per event in PostgreSQL cost the database 7 µs per event and stage 1 a round
 * trip per batch, more than half of what stage 1 waited for.
 * <p>
 * An id is kept as a 128-bit fingerprint (MurmurHash3 of its UTF-8 bytes): two different ids of one partition share
 * one with a chance of about n / 2^128 for n ids held, which no stream will meet. 16 bytes per id (up to twice that
 * while its array has room to grow) and 12-24 more for the hash table, at most two thirds full: about 40 in all.
 * <p>
 * Forgetting: ids are kept in generations, a new one started when the last has covered a quarter of the horizon (in
 * processing time, as the ids' arrival) or holds a quarter of {@code maxIds}; the oldest goes once the newest of its
 * ids is older than the horizon (so about five are held), or early while the partition holds more than
 * {@code maxIds}. So an id is remembered for at least the horizon while the bound is not reached, and memory stays
 * bounded when it is; the second case is counted ({@link #forgottenEarly()}): at 1,250 new ids a second in a
 * partition, a million last about 13 minutes. Time only moves forward here: a clock that steps back (or a partition
 * moved to a host whose clock is behind) holds the time of the newest generation until the clock catches up.
 */
public final class SeenEvents {
    /** How many parts of the horizon (and of the bound) a generation covers: a quarter. */
    static final int GENERATIONS = 4;
    private static final long SEED = 0x7a11e5eedL;

    private final long horizonMillis;
    private final int maxIds;
    /** Oldest first; never empty once an id was added. */
    private final List<Generation> generations = new ArrayList<>();
    private int size;
    private long forgottenEarly;
    /** The latest processing time seen: the clock as this memory knows it, which never goes back. */
    private long latest = Long.MIN_VALUE;

    public SeenEvents(java.time.Duration horizon, int maxIds) {
        this.horizonMillis = Math.max(GENERATIONS, horizon.toMillis());
        this.maxIds = Math.max(GENERATIONS, maxIds);
    }

    /** The fingerprint of an event id: its MurmurHash3, 128 bits, over its UTF-8 bytes. */
    public static long[] fingerprint(String eventId) {
        byte[] utf8 = eventId.getBytes(StandardCharsets.UTF_8);
        return fingerprint(utf8, 0, utf8.length);
    }

    /** The fingerprint of the event id whose UTF-8 bytes are {@code bytes[offset, offset + length)}. */
    public static long[] fingerprint(byte[] bytes, int offset, int length) {
        return MurmurHash3.hash(bytes, offset, length, SEED);
    }

    /**
     * Remembers the event id of {@code fingerprint} at processing time {@code clockMillis} (or the latest time seen,
     * if the clock is behind it); true the first time, false for a repeat within what is remembered.
     */
    public boolean add(long[] fingerprint, long clockMillis) {
        long nowMillis = latest = Math.max(latest, clockMillis);
        long hi = fingerprint[0];
        long lo = fingerprint[1];
        for (int g = generations.size() - 1; g >= 0; g--) {
            if (generations.get(g).contains(hi, lo)) {
                return false;
            }
        }
        Generation current = current(nowMillis);
        current.add(hi, lo);
        size++;
        forget(nowMillis);
        return true;
    }

    /** The generation new ids go into at {@code nowMillis}, started anew when the last one is full or old enough. */
    private Generation current(long nowMillis) {
        Generation last = generations.isEmpty() ? null : generations.get(generations.size() - 1);
        if (last == null || nowMillis - last.start >= horizonMillis / GENERATIONS
                || last.size >= maxIds / GENERATIONS) {
            // starts only grow, so that a delta names each generation by its start
            last = new Generation(last == null ? nowMillis : Math.max(nowMillis, last.start + 1));
            latest = Math.max(latest, last.start);
            generations.add(last);
        }
        return last;
    }

    /** Drops the generations whose ids are all past the horizon, then the oldest while over the bound. */
    private void forget(long nowMillis) {
        while (generations.size() > 1 && nowMillis - generations.get(1).start >= horizonMillis) {
            size -= generations.remove(0).size;
        }
        while (generations.size() > 1 && size > maxIds) {
            Generation gone = generations.remove(0);
            size -= gone.size;
            forgottenEarly += gone.size;
        }
    }

    /** How many ids it holds. */
    public int size() {
        return size;
    }

    /** How many ids were let go before the horizon because the partition held more than its bound. */
    public long forgottenEarly() {
        return forgottenEarly;
    }

    // --- checkpoints: a snapshot holds every generation, a delta what changed since the last checkpoint ---

    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(generations.size());
        for (Generation generation : generations) {
            out.writeLong(generation.start);
            generation.write(out, 0);
        }
    }

    public void readFrom(DataInput in) throws IOException {
        clear();
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            Generation generation = new Generation(in.readLong());
            generations.add(generation);
            size += generation.read(in);
        }
        checkpointed();
    }

    /**
     * What changed since the last checkpoint: the start of the oldest generation still held (older ones are gone),
     * then, per generation that got ids since, its start and those ids in the order added.
     */
    public void writeChanges(DataOutput out) throws IOException {
        out.writeLong(generations.isEmpty() ? Long.MIN_VALUE : generations.get(0).start);
        int changed = 0;
        for (Generation generation : generations) {
            changed += generation.size > generation.checkpointed ? 1 : 0;
        }
        out.writeInt(changed);
        for (Generation generation : generations) {
            if (generation.size > generation.checkpointed) {
                out.writeLong(generation.start);
                generation.write(out, generation.checkpointed);
            }
        }
    }

    public void readChanges(DataInput in) throws IOException {
        long oldest = in.readLong();
        while (!generations.isEmpty() && generations.get(0).start < oldest) {
            size -= generations.remove(0).size;
        }
        int changed = in.readInt();
        for (int i = 0; i < changed; i++) {
            long start = in.readLong();
            Generation generation = null;
            for (Generation held : generations) {
                if (held.start == start) {
                    generation = held;
                }
            }
            if (generation == null) {
                generation = new Generation(start);
                generations.add(generation); // generations start in order: a new one is the newest
            }
            size += generation.read(in);
        }
        checkpointed();
    }

    /** Forgets every id: a partition restored from a checkpoint written before ids were kept in it has none. */
    public void clear() {
        generations.clear();
        size = 0;
        latest = Long.MIN_VALUE;
    }

    /** What it holds now is in a checkpoint; the clock is at least the newest generation's start. */
    public void checkpointed() {
        for (Generation generation : generations) {
            generation.checkpointed = generation.size;
        }
        if (!generations.isEmpty()) {
            latest = Math.max(latest, generations.get(generations.size() - 1).start);
        }
    }

    /**
     * The fingerprints of one generation, in the order added (so that a delta is the tail of the array), and a hash
     * table over them: open addressing, each slot the fingerprint's high 32 bits and its index + 1, so that a probe
     * for an id not held (nearly every probe) reads the slots only.
     */
    private static final class Generation {
        final long start;
        long[] fingerprints = new long[2 * 64];
        long[] slots = new long[128];
        int size;
        int checkpointed;

        Generation(long start) {
            this.start = start;
        }

        boolean contains(long hi, long lo) {
            int mask = slots.length - 1;
            long tag = hi >>> 32;
            for (int slot = (int) hi & mask; ; slot = (slot + 1) & mask) {
                long entry = slots[slot];
                if (entry == 0) {
                    return false;
                }
                if (entry >>> 32 == tag) {
                    int index = (int) entry - 1;
                    if (fingerprints[2 * index] == hi && fingerprints[2 * index + 1] == lo) {
                        return true;
                    }
                }
            }
        }

        void add(long hi, long lo) {
            if (2 * size == fingerprints.length) {
                fingerprints = Arrays.copyOf(fingerprints, fingerprints.length * 2);
            }
            fingerprints[2 * size] = hi;
            fingerprints[2 * size + 1] = lo;
            size++;
            if (3 * size > 2 * slots.length) {
                slots = new long[slots.length * 2];
                for (int i = 0; i < size; i++) {
                    place(i);
                }
            } else {
                place(size - 1);
            }
        }

        private void place(int index) {
            long hi = fingerprints[2 * index];
            int mask = slots.length - 1;
            int slot = (int) hi & mask;
            while (slots[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (hi >>> 32) << 32 | (index + 1L);
        }

        void write(DataOutput out, int from) throws IOException {
            out.writeInt(size - from);
            for (int i = from; i < size; i++) {
                out.writeLong(fingerprints[2 * i]);
                out.writeLong(fingerprints[2 * i + 1]);
            }
        }

        /** Adds the ids written by {@link #write}; returns how many. */
        int read(DataInput in) throws IOException {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                add(in.readLong(), in.readLong());
            }
            return count;
        }
    }
}
