package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Stage 1 of the aggregation, for one partition of {@code clicks}: the partial totals of every page in every open
 * window, and the partition's watermark (the highest event time seen, minus the allowed out-of-orderness).
 * <p>
 * Lateness is judged against this partition's own watermark, at the moment the event is read. The order of
 * events within a partition is fixed by the log, so a replay of the log makes exactly the same decisions: the
 * results depend on the log alone, never on how fast partitions were read relative to each other.
 * <p>
 * Because every user lives in exactly one partition, the distinct users of a partial are disjoint from every other
 * partition's: stage 2 adds the partial counts up, and only numbers cross the shuffle.
 */
public final class PartialWindows {

    /** A page (or another definition's group) in a window. */
    public record Key(String spec, String pageId, Instant start) {
        /** Mixed: the default combination collides a lot for neighbouring pages and windows. */
        @Override
        public int hashCode() {
            return Hashing.mix(spec, pageId, start);
        }
    }

    /**
     * The new value of a partial, to send to stage 2. It carries no watermark: the partition's watermark reaches
     * stage 2 separately, and only after every update of the same batch was delivered, so that stage 2 never calls
     * a window final while an update of it is still on its way.
     */
    public record Update(int partition, String pageId, Window window, long views, long uniqueUsers, String method,
                         double relativeError, java.math.BigDecimal valueSum, long version) {
    }

    /** An event that arrived after some of its windows had closed, and those windows. */
    public record Late(ClickEvent event, List<Window> missed) {
    }

    private static final class Partial {
        final Window window;
        final UniqueCounter users;
        long views;
        long version;
        /** The sum of the events' {@code value}, exact in decimal, so that no order of addition changes it. */
        java.math.BigDecimal valueSum = java.math.BigDecimal.ZERO;

        Partial(Window window, int exactLimit) {
            this.window = window;
            this.users = new UniqueCounter(exactLimit);
        }

        Partial(Window window, long views, long version, UniqueCounter users) {
            this.window = window;
            this.users = users;
            this.views = views;
            this.version = version;
        }
    }

    private final int partition;
    private final List<WindowSpec> specs;
    private final Map<String, WindowSpec> specsByName = new HashMap<>();
    private final Duration outOfOrderness;
    private final int exactLimit;
    private final Map<Key, Partial> open = new HashMap<>();
    /**
     * Partials changed since they were last sent: on-update ones are sent at every {@link #drain}, final-only ones
     * once their window closes in this partition, or at a {@link #flush}.
     */
    private final Set<Key> changed = new LinkedHashSet<>();
    /** Partials changed since the last checkpoint. */
    private final Set<Key> unsaved = new HashSet<>();
    private Instant maxEventTime;
    /**
     * No open window closes before this (epoch milliseconds; a lower bound): until the watermark reaches it, a batch
     * need not look at every open window.
     */
    private long nextClose = Long.MAX_VALUE;

    public PartialWindows(int partition, List<WindowSpec> specs, Duration outOfOrderness, int exactLimit) {
        this.partition = partition;
        this.specs = specs.stream().filter(s -> s.kind() != WindowSpec.Kind.SESSION).toList();
        this.specs.forEach(s -> specsByName.put(s.name(), s));
        this.outOfOrderness = outOfOrderness;
        this.exactLimit = exactLimit;
    }

    /** The partition's watermark, or null before its first event. */
    public Instant watermark() {
        return maxEventTime == null ? null : maxEventTime.minus(outOfOrderness);
    }

    /** Adds an event to every window of it that is still open; the windows it missed, if any. */
    public Optional<Late> add(ClickEvent event) {
        Instant watermark = watermark();
        List<Window> missed = null;
        for (WindowSpec spec : specs) {
            String group = spec.groupOf(event);
            if (group == null) {
                continue; // not in any of this definition's groups
            }
            for (Window window : spec.windowsOf(event.eventTime())) {
                if (spec.closed(window, watermark)) {
                    if (missed == null) {
                        missed = new ArrayList<>();
                    }
                    missed.add(window);
                    continue;
                }
                Key key = new Key(spec.name(), group, window.start());
                Partial partial = open.computeIfAbsent(key, k -> new Partial(window, exactLimit));
                noteClose(spec, window);
                partial.views++;
                partial.users.add(event.userId());
                if (event.value() != null) {
                    partial.valueSum = partial.valueSum.add(java.math.BigDecimal.valueOf(event.value()));
                }
                changed.add(key);
                unsaved.add(key);
            }
        }
        if (maxEventTime == null || event.eventTime().isAfter(maxEventTime)) {
            maxEventTime = event.eventTime();
        }
        return missed == null ? Optional.empty() : Optional.of(new Late(event, missed));
    }

    /**
     * The partials to send now, each with a new version: those of on-update definitions that changed, and those of
     * final-only definitions whose window the watermark has just closed (sent once, complete for this partition).
     * Then forgets the windows that the watermark has closed.
     */
    public List<Update> drain() {
        Instant watermark = watermark();
        List<Update> updates = new ArrayList<>(changed.size());
        java.util.Iterator<Key> keys = changed.iterator();
        while (keys.hasNext()) {
            Key key = keys.next();
            Partial partial = open.get(key);
            WindowSpec spec = specsByName.get(key.spec());
            if (spec.emit() == WindowSpec.EmitPolicy.ON_UPDATE || (closing(watermark)
                    && spec.closed(partial.window, watermark))) {
                updates.add(send(key, partial));
                keys.remove();
            }
        }
        removeClosed();
        return updates;
    }

    /**
     * Every partial changed since it was last sent, final-only ones too, each with a new version: before the
     * partition says it is idle, after which stage 2 no longer waits for its watermark to close those windows.
     */
    public List<Update> flush() {
        List<Update> updates = new ArrayList<>(changed.size());
        for (Key key : changed) {
            updates.add(send(key, open.get(key)));
        }
        changed.clear();
        return updates;
    }

    /** True while a final-only partial has changes not sent yet: the partition must not say it is idle. */
    public boolean pending() {
        return !changed.isEmpty();
    }

    private Update send(Key key, Partial partial) {
        partial.version++;
        unsaved.add(key);
        return new Update(partition, key.pageId(), partial.window, partial.views, partial.users.estimate(),
                partial.users.method(), partial.users.relativeError(), partial.valueSum, partial.version);
    }

    private void noteClose(WindowSpec spec, Window window) {
        nextClose = Math.min(nextClose, window.end().toEpochMilli() + spec.grace().toMillis());
    }

    /** True if the watermark may have closed some open window. */
    private boolean closing(Instant watermark) {
        return watermark != null && watermark.toEpochMilli() >= nextClose;
    }

    private void removeClosed() {
        Instant watermark = watermark();
        if (!closing(watermark)) {
            return;
        }
        nextClose = Long.MAX_VALUE;
        open.entrySet().removeIf(e -> {
            WindowSpec spec = specsByName.get(e.getKey().spec());
            boolean closed = spec.closed(e.getValue().window, watermark);
            if (closed) {
                unsaved.remove(e.getKey()); // gone after a restore too: the watermark closes it again
                changed.remove(e.getKey());
            } else {
                noteClose(spec, e.getValue().window);
            }
            return closed;
        });
    }

    /**
     * Writes what changed since the last checkpoint, for a delta: the watermark's event time, and each changed
     * partial's totals with the users it gained.
     */
    public void writeChanges(java.io.DataOutputStream out) throws java.io.IOException {
        out.writeLong(maxEventTime == null ? Long.MIN_VALUE : maxEventTime.toEpochMilli());
        out.writeInt(unsaved.size());
        for (Key key : unsaved) {
            Partial partial = open.get(key);
            writeTotals(key, partial, out);
            partial.users.writeChanges(out);
        }
    }

    /** What a snapshot and a delta write alike of a partial, before its users. */
    private void writeTotals(Key key, Partial partial, java.io.DataOutputStream out) throws java.io.IOException {
        out.writeUTF(key.spec());
        out.writeUTF(key.pageId());
        out.writeLong(partial.window.start().toEpochMilli());
        out.writeLong(partial.window.end().toEpochMilli());
        out.writeLong(partial.views);
        out.writeLong(partial.version);
        out.writeUTF(partial.valueSum.toString());
        out.writeBoolean(changed.contains(key));
    }

    /**
     * Reads a partial written by {@link #writeTotals} and its users (all of them from a snapshot, or those gained
     * from a {@code delta}), into the state; a partial of a definition no longer configured is dropped.
     */
    private void readPartial(java.io.DataInputStream in, boolean withPending, boolean delta)
            throws java.io.IOException {
        String spec = in.readUTF();
        String page = in.readUTF();
        Instant start = Instant.ofEpochMilli(in.readLong());
        Window window = new Window(spec, start, Instant.ofEpochMilli(in.readLong()));
        long views = in.readLong();
        long version = in.readLong();
        java.math.BigDecimal valueSum = new java.math.BigDecimal(in.readUTF());
        boolean pending = withPending && in.readBoolean();
        Key key = new Key(spec, page, start);
        Partial partial;
        if (delta) {
            partial = open.computeIfAbsent(key, k -> new Partial(window, exactLimit));
            partial.users.readChanges(in);
        } else {
            partial = new Partial(window, views, version, UniqueCounter.readFrom(in, exactLimit));
        }
        partial.views = views;
        partial.version = version;
        partial.valueSum = valueSum;
        WindowSpec definition = specsByName.get(spec);
        if (definition == null) {
            open.remove(key);
            return;
        }
        open.put(key, partial);
        noteClose(definition, window);
        if (delta) {
            unsaved.add(key);
        }
        if (pending) {
            changed.add(key);
        } else {
            changed.remove(key);
        }
    }

    /** Applies a delta written by {@link #writeChanges} to the state it was written after. */
    public void readChanges(java.io.DataInputStream in) throws java.io.IOException {
        readChanges(in, true);
    }

    /** {@link #readChanges(java.io.DataInputStream)}; {@code withPending} is false for deltas of format 2. */
    public void readChanges(java.io.DataInputStream in, boolean withPending) throws java.io.IOException {
        long max = in.readLong();
        maxEventTime = max == Long.MIN_VALUE ? null : Instant.ofEpochMilli(max);
        int size = in.readInt();
        for (int i = 0; i < size; i++) {
            readPartial(in, withPending, true);
        }
        removeClosed();
    }

    /** The state as it is now is in a checkpoint. */
    public void checkpointed() {
        for (Key key : unsaved) {
            Partial partial = open.get(key);
            if (partial != null) {
                partial.users.checkpointed();
            }
        }
        unsaved.clear();
    }

    /** Writes the whole state, for a checkpoint. */
    public void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
        out.writeLong(maxEventTime == null ? Long.MIN_VALUE : maxEventTime.toEpochMilli());
        out.writeInt(open.size());
        for (Map.Entry<Key, Partial> entry : open.entrySet()) {
            writeTotals(entry.getKey(), entry.getValue(), out);
            entry.getValue().users.writeTo(out);
        }
    }

    /** Restores a state written by {@link #writeTo}; windows of definitions no longer configured are dropped. */
    public void readFrom(java.io.DataInputStream in) throws java.io.IOException {
        readFrom(in, true);
    }

    /**
     * {@link #readFrom(java.io.DataInputStream)}; {@code withPending} is false for a state of format 2, written
     * when every partial was sent at every batch (so none is pending).
     */
    public void readFrom(java.io.DataInputStream in, boolean withPending) throws java.io.IOException {
        long max = in.readLong();
        maxEventTime = max == Long.MIN_VALUE ? null : Instant.ofEpochMilli(max);
        int size = in.readInt();
        open.clear();
        changed.clear();
        unsaved.clear();
        nextClose = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            readPartial(in, withPending, false);
        }
    }

    /** Windows still open in this partition. */
    public int openWindows() {
        return open.size();
    }
}
