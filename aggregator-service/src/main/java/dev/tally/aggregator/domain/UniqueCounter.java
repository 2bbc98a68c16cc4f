package dev.tally.aggregator.domain;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Distinct users: an exact set while it is small, and an Apache DataSketches HLL sketch once it passes a
 * configured size, so that memory stays bounded per window. The result says which it is and how far off it can
 * be (the sketch's relative standard error at the 95% level).
 * <p>
 * The exact set is the counter's {@link IdSet}: users in the order they came, which gives the users added since the
 * last checkpoint for free (those after {@link #saved}). It is the base class, not a field, so that an add reaches
 * the users' hash codes through one object less: most counters of a stream hold a handful of users.
 */
public final class UniqueCounter extends IdSet {
    /** The HLL sketch's precision: 2^12 buckets, about 1.6% standard error, 2.5 KiB. */
    static final int LG_K = 12;
    static final double RELATIVE_ERROR_95 = 2 * 1.04 / Math.sqrt(1 << LG_K);
    /** The {@link #method()} of an exact count. */
    static final String EXACT = "exact";

    private final int exactLimit;
    /** The exact set's first {@code saved} users are in the last checkpoint. */
    private int saved;
    private HllSketch sketch;
    /**
     * Once the sketch took over: the users added since the last checkpoint that may have changed the counter, in
     * the order they first came. Replayed in that order onto the checkpointed counter they give back exactly this
     * one, sketch included.
     */
    private Set<String> sinceCheckpoint;

    public UniqueCounter(int exactLimit) {
        this.exactLimit = exactLimit;
    }

    /** Adds a user; true if the estimate may have changed. */
    public boolean add(String user) {
        if (sketch != null) {
            sketch.update(user);
            if (sinceCheckpoint == null) {
                sinceCheckpoint = new LinkedHashSet<>();
            }
            sinceCheckpoint.add(user);
            return true;
        }
        return addExact(user, user.hashCode());
    }

    /** Adds a user to the exact set, which becomes the sketch beyond the limit; false if it was there. */
    private boolean addExact(String user, int hash) {
        if (!addId(user, hash)) {
            return false;
        }
        if (idCount() > exactLimit) {
            toSketch();
        }
        return true;
    }

    /** Switches to the sketch, fed in a fixed order: the sketch's estimator depends on the order of its updates. */
    private void toSketch() {
        String[] held = ids();
        sinceCheckpoint = new LinkedHashSet<>(Arrays.asList(held).subList(saved, held.length));
        sketch = new HllSketch(LG_K);
        Arrays.sort(held);
        for (String user : held) {
            sketch.update(user);
        }
        clearIds();
        saved = 0;
    }

    /**
     * The distinct users of {@code parts} together, as a new counter (the parts do not change), a user seen in
     * several counted once: exact while their union is within the limit, as one counter given all their users would
     * be; else a sketch made by merging, whose estimate (within the same error bound) can differ from that of one
     * counter fed the same users one by one. The same parts in the same order always give the same estimate.
     */
    static UniqueCounter union(List<UniqueCounter> parts, int exactLimit) {
        UniqueCounter all = new UniqueCounter(exactLimit);
        for (UniqueCounter part : parts) {
            if (part.sketch != null) {
                if (all.sketch == null) {
                    all.toSketch();
                }
                Union union = new Union(LG_K);
                union.update(all.sketch);
                union.update(part.sketch);
                all.sketch = union.getResult();
                continue;
            }
            for (int i = 0; i < part.idCount(); i++) {
                if (all.sketch != null) {
                    all.sketch.update(part.id(i));
                } else {
                    all.addExact(part.id(i), part.idHash(i));
                }
            }
        }
        return all;
    }

    /**
     * Counts distinct users across exact sets without making a counter of them: a window of panes is counted once,
     * when it closes, and only its number is sent. One table serves every count of a partition's windows, so a
     * close of a thousand windows neither allocates a thousand sets nor grows and re-indexes each one.
     */
    static final class UnionTable {
        private String[] users = new String[64];
        private int[] hashes = new int[64];

        /** What a count of distinct users says: the number, how it was counted, and its error bound. */
        record Distinct(long estimate, String method, double relativeError) {
        }

        /**
         * The distinct users of {@code parts} together, as {@link #union} counts them: in this table while they are
         * exact sets within the limit, else by making their union (a sketch).
         */
        Distinct distinct(List<UniqueCounter> parts, int exactLimit) {
            long exact = count(parts, exactLimit);
            if (exact >= 0) {
                return new Distinct(exact, EXACT, 0);
            }
            UniqueCounter all = union(parts, exactLimit);
            return new Distinct(all.estimate(), all.method(), all.relativeError());
        }

        /**
         * The distinct users of {@code parts} together, the count {@link #union} would give; -1 if one of them is a
         * sketch or the count passes {@code exactLimit} (then only {@link #union} can say).
         */
        long count(List<UniqueCounter> parts, int exactLimit) {
            long total = 0;
            for (UniqueCounter part : parts) {
                if (part.sketch != null) {
                    return -1;
                }
                total += part.idCount();
            }
            // at most exactLimit + 1 users go in before the count gives up: at most half full
            int need = (int) Math.min(total, (long) exactLimit + 1);
            int capacity = Math.max(64, Integer.highestOneBit(Math.max(1, need)) * 4);
            if (capacity > users.length) {
                users = new String[capacity];
                hashes = new int[capacity];
            }
            int mask = capacity - 1;
            long count = 0;
            try {
                for (UniqueCounter part : parts) {
                    for (int i = 0; i < part.idCount(); i++) {
                        String user = part.id(i);
                        int hash = part.idHash(i);
                        int slot = spread(hash) & mask;
                        while (users[slot] != null && (hashes[slot] != hash || !users[slot].equals(user))) {
                            slot = (slot + 1) & mask;
                        }
                        if (users[slot] == null) {
                            if (++count > exactLimit) {
                                return -1;
                            }
                            users[slot] = user;
                            hashes[slot] = hash;
                        }
                    }
                }
                return count;
            } finally {
                Arrays.fill(users, 0, capacity, null);
            }
        }
    }

    /** Writes the users added since the last checkpoint, for a delta. */
    void writeChanges(java.io.DataOutput out) throws java.io.IOException {
        if (sketch == null) {
            out.writeInt(idCount() - saved);
            for (int i = saved; i < idCount(); i++) {
                out.writeUTF(id(i));
            }
            return;
        }
        if (sinceCheckpoint == null) {
            out.writeInt(0);
            return;
        }
        out.writeInt(sinceCheckpoint.size());
        for (String user : sinceCheckpoint) {
            out.writeUTF(user);
        }
    }

    /** Adds the users of a delta written by {@link #writeChanges}. */
    void readChanges(java.io.DataInputStream in) throws java.io.IOException {
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            add(in.readUTF());
        }
    }

    /** The counter as it is now is in a checkpoint. */
    void checkpointed() {
        saved = idCount();
        sinceCheckpoint = null;
    }

    public long estimate() {
        return sketch == null ? idCount() : Math.round(sketch.getEstimate());
    }

    public boolean isExact() {
        return sketch == null;
    }

    /** {@code exact}, or {@code hll}. */
    public String method() {
        return isExact() ? EXACT : "hll";
    }

    /** Writes the counter for a checkpoint: the exact set, or the sketch's compact bytes. */
    void writeTo(java.io.DataOutput out) throws java.io.IOException {
        if (sketch == null) {
            out.writeBoolean(true);
            out.writeInt(idCount());
            for (int i = 0; i < idCount(); i++) {
                out.writeUTF(id(i));
            }
        } else {
            out.writeBoolean(false);
            byte[] bytes = sketch.toCompactByteArray();
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }

    static UniqueCounter readFrom(java.io.DataInputStream in, int exactLimit) throws java.io.IOException {
        UniqueCounter counter = new UniqueCounter(exactLimit);
        if (in.readBoolean()) {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                counter.addId(in.readUTF());
            }
            counter.saved = counter.idCount();
        } else {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            counter.sketch = HllSketch.heapify(bytes);
        }
        return counter;
    }

    /** The relative error bound of {@link #estimate()} at 95% confidence; 0 when exact. */
    public double relativeError() {
        return isExact() ? 0 : RELATIVE_ERROR_95;
    }
}
