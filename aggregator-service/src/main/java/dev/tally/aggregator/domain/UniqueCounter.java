package dev.tally.aggregator.domain;

import org.apache.datasketches.hll.HllSketch;

import java.util.HashSet;
import java.util.Set;

/**
 * Distinct users: an exact set while it is small, and an Apache DataSketches HLL sketch once it passes a
 * configured size, so that memory stays bounded per window. The result says which it is and how far off it can
 * be (the sketch's relative standard error at the 95% level).
 */
public final class UniqueCounter {
    /** The HLL sketch's precision: 2^12 buckets, about 1.6% standard error, 2.5 KiB. */
    static final int LG_K = 12;
    static final double RELATIVE_ERROR_95 = 2 * 1.04 / Math.sqrt(1 << LG_K);

    private final int exactLimit;
    private Set<String> exact = new HashSet<>();
    private HllSketch sketch;
    /**
     * The users added since the last checkpoint that may have changed the counter, in the order they first came:
     * replayed in that order onto the checkpointed counter they give back exactly this one, sketch included.
     */
    private Set<String> sinceCheckpoint;

    public UniqueCounter(int exactLimit) {
        this.exactLimit = exactLimit;
    }

    /** Adds a user; true if the estimate may have changed. */
    public boolean add(String user) {
        if (sketch != null) {
            sketch.update(user);
            remember(user);
            return true;
        }
        boolean added = exact.add(user);
        if (added) {
            remember(user);
        }
        if (exact.size() > exactLimit) {
            // in a fixed order: the sketch's estimator depends on the order of its updates
            sketch = new HllSketch(LG_K);
            exact.stream().sorted().forEach(sketch::update);
            exact = null;
        }
        return added;
    }

    private void remember(String user) {
        if (sinceCheckpoint == null) {
            sinceCheckpoint = new java.util.LinkedHashSet<>();
        }
        sinceCheckpoint.add(user);
    }

    /** Writes the users added since the last checkpoint, for a delta. */
    void writeChanges(java.io.DataOutputStream out) throws java.io.IOException {
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
        sinceCheckpoint = null;
    }

    public long estimate() {
        return sketch == null ? exact.size() : Math.round(sketch.getEstimate());
    }

    public boolean isExact() {
        return sketch == null;
    }

    /** {@code exact}, or {@code hll}. */
    public String method() {
        return isExact() ? "exact" : "hll";
    }

    /** Writes the counter for a checkpoint: the exact set, or the sketch's compact bytes. */
    void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
        if (sketch == null) {
            out.writeBoolean(true);
            out.writeInt(exact.size());
            for (String user : exact) {
                out.writeUTF(user);
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
            int size = in.readInt();
            for (int i = 0; i < size; i++) {
                counter.exact.add(in.readUTF());
            }
        } else {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            counter.sketch = HllSketch.heapify(bytes);
            counter.exact = null;
        }
        return counter;
    }

    /** The relative error bound of {@link #estimate()} at 95% confidence; 0 when exact. */
    public double relativeError() {
        return isExact() ? 0 : RELATIVE_ERROR_95;
    }
}
