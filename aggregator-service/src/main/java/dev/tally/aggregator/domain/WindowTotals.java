package dev.tally.aggregator.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stage 2 of the aggregation, for the pages of one partition of {@code page-partials}: adds up the partials of
 * every source partition into totals, and decides when a window is final: once every source partition's
 * watermark has passed its end plus the grace period. A source partition that stage 1 declares idle (it has had
 * nothing to read for a while) stops holding the watermark back; a source partition that is merely silent (its
 * consumer died, and has not been replaced yet) keeps holding it, because its data is still to come.
 */
public final class WindowTotals {

    /** The totals of a page in a window, as they go out. */
    public record Result(String pageId, Window window, long views, long uniqueUsers, java.math.BigDecimal valueSum,
                         String method, double relativeError, long version, boolean finalResult, Instant watermark,
                         Map<Integer, Long> sourceOffsets) {
    }

    private record Key(String spec, String pageId, Instant start) {
        @Override
        public int hashCode() {
            return Hashing.mix(spec, pageId, start);
        }
    }

    /** A source partition's partial; {@code sourceOffset} is the next offset it covers, or -1 if not known. */
    private record PartialValue(long views, long uniqueUsers, java.math.BigDecimal valueSum, boolean exact,
                                double relativeError, long version, long sourceOffset) {
    }

    private static final class Progress {
        Instant watermark;
        boolean idle;
    }

    private static final class Total {
        final Key key;
        final Window window;
        /** By source partition; null where that partition sent nothing yet. */
        PartialValue[] partials;
        boolean finalSent;
        /** In {@link #changed}: changed since last drained. */
        boolean changed;
        /** In {@link #unsaved}: changed since the last checkpoint. */
        boolean unsaved;
        /**
         * Which source partitions' partials changed since the last checkpoint, bit {@code p} for partition {@code p}:
         * a delta carries only those. {@link #unsavedBeyond} (a partition from 64 on changed) makes it carry all.
         */
        long unsavedPartials;
        boolean unsavedBeyond;
        /**
         * Made since the last checkpoint under the key of a total forgotten since then: a delta carries it whole, to
         * replace the forgotten one that the state it is read over still holds.
         */
        boolean unsavedWhole;
        /** Forgotten, or replaced by a restore. */
        boolean gone;
        /** When (epoch ms of event time) it waits for in {@link #due}: its close, then once final its expiry. */
        long dueAt;

        Total(Key key, Window window, int sourcePartitions) {
            this.key = key;
            this.window = window;
            this.partials = new PartialValue[Math.max(1, sourcePartitions)];
        }

        PartialValue partial(int partition) {
            return partition < partials.length ? partials[partition] : null;
        }

        void put(int partition, PartialValue value) {
            if (partition >= partials.length) {
                partials = java.util.Arrays.copyOf(partials, partition + 1);
            }
            partials[partition] = value;
        }

        /** Whether a checkpoint carries the partial of {@code partition}: a delta ({@code changedOnly}) not always. */
        boolean carries(int partition, boolean changedOnly) {
            return partials[partition] != null && (!changedOnly || unsavedWhole || unsavedBeyond
                    || (partition < 64 && (unsavedPartials & (1L << partition)) != 0));
        }

        void partialChanged(int partition) {
            if (partition < 64) {
                unsavedPartials |= 1L << partition;
            } else {
                unsavedBeyond = true;
            }
        }
    }

    private final Map<String, WindowSpec> specs = new HashMap<>();
    private final Duration retention;
    private final Map<Integer, Progress> sources = new HashMap<>();
    private final int sourcePartitions;
    private final Map<Key, Total> totals = new HashMap<>();
    /** Totals changed since the last drain, in the order they first changed. */
    private final List<Total> changed = new ArrayList<>();
    /** Totals changed since the last checkpoint (those forgotten since are in {@link #removed}). */
    private final List<Total> unsaved = new ArrayList<>();
    private final Set<Key> removed = new java.util.HashSet<>();
    /**
     * Every total held, once, by when it next needs a look: at its end plus grace it becomes final, and at that
     * plus the retention it is forgotten. {@link #drain} takes what the watermark has reached instead of looking at
     * every total whenever one was due (in a backlog, where event time runs fast, that was nearly every batch).
     */
    private final java.util.PriorityQueue<Total> due =
            new java.util.PriorityQueue<>((a, b) -> Long.compare(a.dueAt, b.dueAt));
    /** {@link #watermark()}, as computed since the sources last changed; stale when false. */
    private Instant combined;
    private boolean combinedKnown;

    /**
     * @param sourcePartitions the partitions of {@code clicks}: each must be heard from, or be idle, before a
     *                         window can be final
     * @param retention        how long (in event time) a final window is kept after it closed, to absorb a
     *                         correction from a source partition that was idle
     */
    public WindowTotals(List<WindowSpec> specs, int sourcePartitions, Duration retention) {
        specs.forEach(s -> this.specs.put(s.name(), s));
        this.sourcePartitions = sourcePartitions;
        this.retention = retention;
        for (int p = 0; p < sourcePartitions; p++) {
            sources.put(p, new Progress());
        }
    }

    /** A source partition's watermark and whether it is idle, from its heartbeat. Watermarks never go back. */
    public void watermark(int partition, Instant watermark, boolean idle) {
        Progress progress = sources.computeIfAbsent(partition, p -> new Progress());
        combinedKnown = false;
        if (watermark != null && (progress.watermark == null || watermark.isAfter(progress.watermark))) {
            progress.watermark = watermark;
        }
        progress.idle = idle;
    }

    /**
     * Takes a partial's new value; an older or repeated version changes nothing. A partial for a window that was
     * final and is past its retention cannot be applied any more (the other partitions' partials are gone): it
     * is dropped, and false says so.
     */
    public boolean apply(PartialWindows.Update update) {
        return apply(update, null);
    }

    /** {@link #apply(PartialWindows.Update)}, knowing the source partition's next offset that it covers. */
    public boolean apply(PartialWindows.Update update, Long sourceOffset) {
        if (!sources.containsKey(update.partition())) {
            sources.put(update.partition(), new Progress());
            combinedKnown = false;
        }
        Key key = new Key(update.window().spec(), update.pageId(), update.window().start());
        Total total = totals.get(key);
        if (total == null) {
            WindowSpec spec = specs.get(key.spec());
            Instant watermark = watermark();
            if (spec.closed(update.window(), watermark)
                    && !watermark.isBefore(update.window().end().plus(spec.grace()).plus(retention))) {
                return false;
            }
            total = new Total(key, update.window(), sourcePartitions);
            totals.put(key, total);
            total.unsavedWhole = removed.remove(key);
            queue(total, closesAt(spec, update.window()));
        }
        PartialValue current = total.partial(update.partition());
        if (current != null && current.version() >= update.version()) {
            return true;
        }
        total.put(update.partition(), new PartialValue(update.views(), update.uniqueUsers(),
                update.valueSum(), "exact".equals(update.method()), update.relativeError(), update.version(),
                sourceOffset == null ? -1 : sourceOffset));
        total.partialChanged(update.partition());
        markChanged(total);
        markUnsaved(total);
        return true;
    }

    private void markChanged(Total total) {
        if (!total.changed) {
            total.changed = true;
            changed.add(total);
        }
    }

    private void markUnsaved(Total total) {
        if (!total.unsaved) {
            total.unsaved = true;
            unsaved.add(total);
        }
    }

    /**
     * The combined watermark: the lowest of the source partitions that are not idle; if all are idle, the highest
     * of them; null while a partition that is not idle has no watermark yet.
     */
    public Instant watermark() {
        if (!combinedKnown) {
            combined = combine();
            combinedKnown = true;
        }
        return combined;
    }

    private Instant combine() {
        Instant lowest = null;
        Instant highest = null;
        boolean anyActive = false;
        for (Progress progress : sources.values()) {
            if (progress.watermark != null && (highest == null || progress.watermark.isAfter(highest))) {
                highest = progress.watermark;
            }
            if (progress.idle) {
                continue;
            }
            if (progress.watermark == null) {
                return null; // an active partition without a watermark holds everything back
            }
            anyActive = true;
            if (lowest == null || progress.watermark.isBefore(lowest)) {
                lowest = progress.watermark;
            }
        }
        return anyActive ? lowest : highest;
    }

    /**
     * The results to send now: every changed window (for emit-on-update definitions), and every window that has
     * just become final (for all). A final window is kept for the retention period, so that a later partial for it
     * (from a source partition that was idle) is a correction of the whole total, with a higher version.
     * <p>
     * A result's version is twice the sum of its partials' versions, plus one once final: it grows with every
     * change of a partial and with the change to final, and it is the same whichever replica computes it.
     */
    public List<Result> drain() {
        Instant watermark = watermark();
        List<Result> results = new ArrayList<>();
        for (Total total : changed) {
            total.changed = false;
            WindowSpec spec = specs.get(total.key.spec());
            boolean isFinal = spec.closed(total.window, watermark);
            if (spec.emit() == WindowSpec.EmitPolicy.ON_UPDATE || isFinal) {
                results.add(result(total, isFinal, watermark));
                markUnsaved(total);
            }
        }
        changed.clear();
        if (watermark == null) {
            return results;
        }
        long now = watermark.toEpochMilli();
        List<Total> done = new ArrayList<>();
        while (!due.isEmpty() && due.peek().dueAt <= now) {
            Total total = due.poll();
            if (total.gone) {
                continue;
            }
            WindowSpec spec = specs.get(total.key.spec());
            if (!spec.closed(total.window, watermark)) {
                // the combined watermark went back (an idle source partition is active again), or it is a
                // fraction of a millisecond short of the close
                queue(total, Math.max(closesAt(spec, total.window), now + 1));
                continue;
            }
            if (!total.finalSent) {
                results.add(result(total, true, watermark));
                markUnsaved(total);
            }
            long expiresAt = closesAt(spec, total.window) + retention.toMillis();
            if (now >= expiresAt) {
                done.add(total);
            } else {
                queue(total, expiresAt);
            }
        }
        for (Total total : done) {
            totals.remove(total.key);
            total.gone = true;
            removed.add(total.key);
        }
        if (!done.isEmpty()) {
            unsaved.removeIf(t -> t.gone);
        }
        return results;
    }

    private void queue(Total total, long dueAt) {
        total.dueAt = dueAt;
        due.add(total);
    }

    private static long closesAt(WindowSpec spec, Window window) {
        return window.end().toEpochMilli() + spec.grace().toMillis();
    }

    private static Result result(Total total, boolean isFinal, Instant watermark) {
        long views = 0;
        long users = 0;
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
        long versions = 0;
        boolean exact = true;
        double error = 0;
        Map<Integer, Long> offsets = new java.util.LinkedHashMap<>(); // by partition, ascending
        for (int partition = 0; partition < total.partials.length; partition++) {
            PartialValue partial = total.partials[partition];
            if (partial == null) {
                continue;
            }
            if (partial.sourceOffset() >= 0) {
                offsets.put(partition, partial.sourceOffset());
            }
            views += partial.views();
            users += partial.uniqueUsers();
            sum = PartialWindows.plus(sum, partial.valueSum());
            versions += partial.version();
            exact &= partial.exact();
            error = Math.max(error, partial.relativeError());
        }
        total.finalSent |= isFinal;
        return new Result(total.key.pageId(), total.window, views, users, sum, exact ? "exact" : "hll", error,
                2 * versions + (isFinal ? 1 : 0), isFinal, watermark, offsets.isEmpty() ? null : offsets);
    }

    /** Writes the whole state, for a checkpoint. */
    public void writeTo(java.io.DataOutput out) throws java.io.IOException {
        writeSources(out);
        out.writeInt(totals.size());
        for (Total total : totals.values()) {
            writeTotal(total, false, out);
        }
    }

    private void writeSources(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(sources.size());
        for (Map.Entry<Integer, Progress> source : sources.entrySet()) {
            out.writeInt(source.getKey());
            out.writeLong(source.getValue().watermark == null ? Long.MIN_VALUE
                    : source.getValue().watermark.toEpochMilli());
            out.writeBoolean(source.getValue().idle);
        }
    }

    private void readSources(java.io.DataInputStream in) throws java.io.IOException {
        sources.clear();
        combinedKnown = false;
        int sourceCount = in.readInt();
        for (int i = 0; i < sourceCount; i++) {
            Progress progress = new Progress();
            int partition = in.readInt();
            long watermark = in.readLong();
            progress.watermark = watermark == Long.MIN_VALUE ? null : Instant.ofEpochMilli(watermark);
            progress.idle = in.readBoolean();
            sources.put(partition, progress);
        }
    }

    /**
     * A total with its partials: all of them for a snapshot; for a delta ({@code changedOnly}) those changed since the
     * last checkpoint, after whether it replaces the total held or adds to it: a delta is only ever read over the
     * state it was written after. A window that changes in every batch mostly changes in few of its partials.
     */
    private void writeTotal(Total total, boolean changedOnly, java.io.DataOutput out) throws java.io.IOException {
        out.writeUTF(total.key.spec());
        out.writeUTF(total.key.pageId());
        out.writeLong(total.window.start().toEpochMilli());
        out.writeLong(total.window.end().toEpochMilli());
        out.writeBoolean(total.finalSent);
        out.writeBoolean(total.changed);
        if (changedOnly) {
            out.writeBoolean(total.unsavedWhole);
        }
        int count = 0;
        for (int partition = 0; partition < total.partials.length; partition++) {
            count += total.carries(partition, changedOnly) ? 1 : 0;
        }
        out.writeInt(count);
        for (int partition = 0; partition < total.partials.length; partition++) {
            if (!total.carries(partition, changedOnly)) {
                continue;
            }
            PartialValue partial = total.partials[partition];
            out.writeInt(partition);
            out.writeLong(partial.views());
            out.writeLong(partial.uniqueUsers());
            out.writeUTF(partial.valueSum().toString());
            out.writeBoolean(partial.exact());
            out.writeDouble(partial.relativeError());
            out.writeLong(partial.version());
            out.writeLong(partial.sourceOffset());
        }
    }

    /**
     * Reads a total written by {@link #writeTotal} into the state, unless its definition is gone. From a delta of
     * changed partials ({@code changedOnly}, format 5) it updates the total held, if there is one, with the partials
     * the delta carries, unless the delta says it replaces it; from a snapshot, or a delta that carried every partial
     * (format 4 and before), it is the whole total.
     */
    private void readTotal(java.io.DataInputStream in, boolean withOffsets, boolean changedOnly)
            throws java.io.IOException {
        String spec = in.readUTF();
        String page = in.readUTF();
        Window window = new Window(spec, Instant.ofEpochMilli(in.readLong()), Instant.ofEpochMilli(in.readLong()));
        Key key = new Key(spec, page, window.start());
        boolean finalSent = in.readBoolean();
        boolean wasChanged = in.readBoolean();
        boolean whole = !changedOnly || in.readBoolean();
        Total held = whole ? null : totals.get(key);
        Total total = held != null ? held : new Total(key, window, sourcePartitions);
        total.finalSent = finalSent;
        int partials = in.readInt();
        for (int j = 0; j < partials; j++) {
            total.put(in.readInt(), new PartialValue(in.readLong(), in.readLong(),
                    new java.math.BigDecimal(in.readUTF()), in.readBoolean(), in.readDouble(), in.readLong(),
                    withOffsets ? in.readLong() : -1));
        }
        if (!specs.containsKey(spec)) {
            return;
        }
        if (held == null) {
            forget(totals.put(total.key, total));
            queue(total, closesAt(specs.get(spec), window)); // a final one moves on to its expiry when due
        }
        if (wasChanged) {
            markChanged(total);
        } else {
            total.changed = false; // out of the list at restored()
        }
    }

    /** A total no longer held (replaced, or removed by a delta): out of the lists at {@link #restored}. */
    private static void forget(Total total) {
        if (total != null) {
            total.gone = true;
        }
    }

    private void restored() {
        changed.removeIf(t -> t.gone || !t.changed);
        unsaved.removeIf(t -> t.gone);
    }

    /** Writes, for a delta, the source partitions' progress, the totals changed and those forgotten. */
    public void writeChanges(java.io.DataOutput out) throws java.io.IOException {
        writeSources(out);
        out.writeInt(unsaved.size());
        for (Total total : unsaved) {
            writeTotal(total, true, out);
        }
        out.writeInt(removed.size());
        for (Key key : removed) {
            out.writeUTF(key.spec());
            out.writeUTF(key.pageId());
            out.writeLong(key.start().toEpochMilli());
        }
    }

    /**
     * Applies a delta written by {@link #writeChanges} to the state it was written after. {@code withOffsets} is false
     * for a delta written before partials carried their source offsets (format 3), {@code changedOnly} for one that
     * carries only the partials that changed (format 5).
     */
    public void readChanges(java.io.DataInputStream in, boolean withOffsets, boolean changedOnly)
            throws java.io.IOException {
        readSources(in);
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            readTotal(in, withOffsets, changedOnly);
        }
        int gone = in.readInt();
        for (int i = 0; i < gone; i++) {
            forget(totals.remove(new Key(in.readUTF(), in.readUTF(), Instant.ofEpochMilli(in.readLong()))));
        }
        restored();
    }

    /** The state as it is now is in a checkpoint. */
    public void checkpointed() {
        for (Total total : unsaved) {
            total.unsaved = false;
            total.unsavedPartials = 0;
            total.unsavedBeyond = false;
            total.unsavedWhole = false;
        }
        unsaved.clear();
        removed.clear();
    }

    /**
     * Restores a state written by {@link #writeTo}; windows of definitions no longer configured are dropped.
     * {@code withOffsets} is false for a state written before partials carried their source offsets.
     */
    public void readFrom(java.io.DataInputStream in, boolean withOffsets) throws java.io.IOException {
        totals.clear();
        due.clear();
        changed.clear();
        unsaved.clear();
        removed.clear();
        readSources(in);
        int totalCount = in.readInt();
        for (int i = 0; i < totalCount; i++) {
            readTotal(in, withOffsets, false);
        }
        restored();
    }

    /** Windows held: open ones, and final ones within their retention. */
    public int heldWindows() {
        return totals.size();
    }
}
