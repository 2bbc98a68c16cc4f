package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
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
 * <p>
 * A final-only hopping or sliding definition keeps no partial per window: an event is in size/advance of its
 * windows, and adding it to each of them, and writing each to the checkpoint, was most of this class's work. Its
 * events go to one <em>pane</em> per advance instead, and a window's totals are made from its panes when it is
 * sent: when the watermark closes it (at the event that moves the watermark past it, so that a later event of the
 * same batch that is late for it stays out of it), or when the partition is flushed before it says it is idle. A
 * window sent early keeps a partial for its version; a checkpoint written before panes holds whole windows'
 * partials, which are kept, and added to their window's panes when it is sent (they hold the events before the
 * restore, the panes those after).
 */
public final class PartialWindows {

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

    /** A window of definition {@code spec} (its position) for a group. */
    private record WindowKey(String group, int spec, long start) {
    }

    /**
     * A page (or another definition's group) in a window, with its totals so far in this partition; of a paned
     * definition, in a pane, or a window's version and the totals it held before panes.
     */
    private static final class Partial {
        /** The position of its definition in {@link #specs}. */
        final int spec;
        /** A pane of a paned definition: its window spans one advance, and it has no version. */
        final boolean pane;
        final String group;
        final Window window;
        /**
         * The window's end plus its definition's grace, in epoch milliseconds: closed at a watermark this high (a
         * pane: when the last window that holds it closes).
         */
        final long closesAt;
        final UniqueCounter users;
        long views;
        long version;
        /** The sum of the events' {@code value}, exact in decimal, so that no order of addition changes it. */
        java.math.BigDecimal valueSum = java.math.BigDecimal.ZERO;
        /** In {@link #changed}: changed since last sent (a pane: since the last {@link #flush}). */
        boolean changed;
        /** In {@link #unsaved}: changed since the last checkpoint. */
        boolean unsaved;
        /** Closed and forgotten, or replaced by a restore: out of the lists at the next clean-up. */
        boolean removed;
        /** {@link #touches} when an event last counted in it; 0 if none did since it was made or restored. */
        long touched;

        Partial(int spec, boolean pane, String group, Window window, long closesAt, UniqueCounter users) {
            this.spec = spec;
            this.pane = pane;
            this.group = group;
            this.window = window;
            this.closesAt = closesAt;
            this.users = users;
        }
    }

    /**
     * The open partials of one group, of every definition: one lookup of the page serves all of an event's windows.
     * A page has a few open windows per definition, found by a scan; a group with more (a sliding definition has
     * one window per step of its size) also gets an index by definition and start. A pane is found under its
     * definition's position plus the number of definitions, apart from the windows: a pane and a window may start
     * at the same time.
     */
    private static final class Group {
        /** Up to this many partials a scan finds them. */
        static final int SCAN = 64;
        /** Per partial, where it is found ({@link #slot}). */
        int[] specs = new int[8];
        long[] starts = new long[8];
        Partial[] partials = new Partial[8];
        int size;
        /** Beyond {@link #SCAN} partials: each definition's partials by start, kept as they come and go. */
        Map<Long, Partial>[] index;

        Partial find(int spec, long start) {
            if (index != null) {
                return index[spec] == null ? null : index[spec].get(start);
            }
            for (int i = 0; i < size; i++) {
                if (starts[i] == start && specs[i] == spec) {
                    return partials[i];
                }
            }
            return null;
        }

        static int slot(Partial partial, int definitions) {
            return slot(partial.spec, partial.pane, definitions);
        }

        static int slot(int spec, boolean pane, int definitions) {
            return pane ? spec + definitions : spec;
        }

        @SuppressWarnings("unchecked")
        void add(Partial partial, long start, int definitions) {
            int slot = slot(partial, definitions);
            if (size == partials.length) {
                specs = Arrays.copyOf(specs, size * 2);
                starts = Arrays.copyOf(starts, size * 2);
                partials = Arrays.copyOf(partials, size * 2);
            }
            specs[size] = slot;
            starts[size] = start;
            partials[size] = partial;
            size++;
            if (index == null && size > SCAN) {
                index = new Map[2 * definitions];
                for (int i = 0; i < size - 1; i++) {
                    indexed(specs[i]).put(starts[i], partials[i]);
                }
            }
            if (index != null) {
                indexed(slot).put(start, partial);
            }
        }

        /** Replaces the partial of the same definition and window, or adds it; the one it replaced, or null. */
        Partial put(Partial partial, long start, int definitions) {
            int slot = slot(partial, definitions);
            Partial old = find(slot, start);
            if (old == null) {
                add(partial, start, definitions);
                return null;
            }
            for (int i = 0; i < size; i++) {
                if (partials[i] == old) {
                    partials[i] = partial;
                }
            }
            if (index != null) {
                index[slot].put(start, partial);
            }
            return old;
        }

        /** A partial taken out (its window closed): out of the index too. */
        void removed(Partial partial, long start, int definitions) {
            if (index != null) {
                index[slot(partial, definitions)].remove(start);
            }
        }

        private Map<Long, Partial> indexed(int spec) {
            if (index[spec] == null) {
                index[spec] = new HashMap<>();
            }
            return index[spec];
        }
    }

    private final int partition;
    /** The definitions other than sessions, with their lengths in milliseconds. */
    private final List<WindowSpec> specs;
    private final long[] sizeMillis;
    private final long[] advanceMillis;
    private final long[] graceMillis;
    /** Per definition: final-only, with windows that overlap (hopping or sliding), so counted in panes. */
    private final boolean[] paned;
    private final Map<String, Integer> specIndex = new HashMap<>();
    private final long outOfOrdernessMillis;
    private final int exactLimit;
    private final Map<String, Group> groups = new HashMap<>();
    private int open;
    /**
     * Partials changed since they were last sent, in the order they first changed: on-update ones are sent at every
     * {@link #drain}, final-only ones once their window closes in this partition, or at a {@link #flush}. Those of
     * paned definitions are apart, in {@link #changedPaned}.
     */
    private final List<Partial> changed = new ArrayList<>();
    /**
     * Panes (and windows' partials from before panes) changed since the last {@link #flush}: their windows are sent
     * as the watermark closes them, or all at a flush; not looked at by {@link #drain}.
     */
    private final List<Partial> changedPaned = new ArrayList<>();
    /** Partials changed since the last checkpoint. */
    private final List<Partial> unsaved = new ArrayList<>();
    /** The highest event time seen, in epoch milliseconds; {@link Long#MIN_VALUE} before the first event. */
    private long maxEventTime = Long.MIN_VALUE;
    /**
     * No open window closes before this (epoch milliseconds; a lower bound): until the watermark reaches it, a batch
     * need not look at every open window.
     */
    private long nextClose = Long.MAX_VALUE;
    /** Every window of a paned definition that this watermark closes has been sent. */
    private long closedThrough = Long.MIN_VALUE;
    /**
     * The watermark at which the next window of a paned definition closes ({@link Long#MAX_VALUE}: none, {@link
     * Long#MIN_VALUE}: not known yet).
     */
    private long nextWindowClose = Long.MIN_VALUE;
    /** Counts a paned window's users from its panes when it is sent. */
    private final UniqueCounter.UnionTable unionTable = new UniqueCounter.UnionTable();
    /** Windows of paned definitions that the watermark closed, for the next {@link #drain}. */
    private final List<Update> closedWindows = new ArrayList<>();
    /** At most this many paned windows a {@link #drain} counts ahead of their close (0: none). */
    private int countAheadPerDrain = COUNT_AHEAD_PER_DRAIN;
    /** Events counted so far: each partial's {@link Partial#touched} is this count at its last event. */
    private long touches;
    /**
     * The distinct users of paned windows whose every pane the watermark has passed but which are not closed yet
     * (still open for late events within their grace), counted ahead by {@link #drain}, with {@link #touches} at
     * that moment: used when the window closes if no pane has counted an event since.
     */
    private final Map<WindowKey, CountedAhead> countedAhead = new HashMap<>();
    /** The windows waiting to be counted ahead, in the order their panes were passed. */
    private final java.util.ArrayDeque<WindowKey> toCountAhead = new java.util.ArrayDeque<>();
    /** The watermark up to which the windows it has passed the end of are in {@link #toCountAhead}. */
    private long countAheadThrough = Long.MIN_VALUE;
    /** Closes that used a count made ahead, for tests. */
    private long closesCountedAhead;

    /**
     * At most this many windows a partition counts ahead per batch. The default five-minute windows of 1,000 pages
     * close together (at second 15 of each minute with event times of now), and counting them from their panes took
     * the batch that closed them 182 ms at 10,000 clicks/s (52 ms with them counted ahead). The watermark passes
     * their ends 10 s (their grace) before they close: with 256 a partition, the eight partitions' batches took 60-74
     * ms for a second; with 32, a batch counts 256 windows, and a thousand pages' take a second and a half.
     */
    static final int COUNT_AHEAD_PER_DRAIN = 32;

    /** A window's users counted ahead of its close, and {@link #touches} when they were. */
    private record CountedAhead(UniqueCounter.UnionTable.Distinct distinct, long touches) {
    }

    public PartialWindows(int partition, List<WindowSpec> specs, Duration outOfOrderness, int exactLimit) {
        this.partition = partition;
        this.specs = specs.stream().filter(s -> s.kind() != WindowSpec.Kind.SESSION).toList();
        int count = this.specs.size();
        this.sizeMillis = new long[count];
        this.advanceMillis = new long[count];
        this.graceMillis = new long[count];
        this.paned = new boolean[count];
        for (int i = 0; i < count; i++) {
            WindowSpec spec = this.specs.get(i);
            specIndex.put(spec.name(), i);
            sizeMillis[i] = spec.size().toMillis();
            advanceMillis[i] = spec.advance().toMillis();
            graceMillis[i] = spec.grace().toMillis();
            paned[i] = spec.emit() == WindowSpec.EmitPolicy.FINAL && advanceMillis[i] < sizeMillis[i];
        }
        this.outOfOrdernessMillis = outOfOrderness.toMillis();
        this.exactLimit = exactLimit;
    }

    /** The partition's watermark, or null before its first event. */
    public Instant watermark() {
        return maxEventTime == Long.MIN_VALUE ? null : Instant.ofEpochMilli(maxEventTime - outOfOrdernessMillis);
    }

    /** The watermark in epoch milliseconds; {@link Long#MIN_VALUE} before the first event. */
    private long watermarkMillis() {
        return maxEventTime == Long.MIN_VALUE ? Long.MIN_VALUE : maxEventTime - outOfOrdernessMillis;
    }

    /**
     * Adds an event to every window of it that is still open (those of {@link WindowSpec#windowsOf}, computed here
     * without making them), or to its pane; the windows it missed, if any.
     */
    public Optional<Late> add(ClickEvent event) {
        long watermark = watermarkMillis();
        long at = event.eventTime().toEpochMilli();
        List<Window> missed = null;
        String lastGroup = null;
        Group found = null;
        for (int s = 0; s < specs.size(); s++) {
            String group = specs.get(s).groupOf(event);
            if (group == null) {
                continue; // not in any of this definition's groups
            }
            long step = advanceMillis[s];
            long length = sizeMillis[s];
            long lastStart = Math.floorDiv(at, step) * step;
            for (long start = lastStart - length + step; start <= lastStart; start += step) {
                if (start + length <= at) {
                    continue;
                }
                long closesAt = start + length + graceMillis[s];
                if (watermark != Long.MIN_VALUE && watermark >= closesAt) {
                    if (missed == null) {
                        missed = new ArrayList<>();
                    }
                    missed.add(window(s, start));
                    continue;
                }
                if (found == null || !group.equals(lastGroup)) {
                    lastGroup = group;
                    found = groups.computeIfAbsent(group, g -> new Group());
                }
                if (paned[s]) { // this window and the later ones are open: the event goes to its pane
                    count(partial(found, s, true, group, lastStart), event);
                    break;
                }
                count(partial(found, s, false, group, start), event);
            }
        }
        if (at > maxEventTime) {
            maxEventTime = at;
            if (at - outOfOrdernessMillis >= nextWindowClose) {
                closeWindows();
            }
        }
        return missed == null ? Optional.empty() : Optional.of(new Late(event, missed));
    }

    /** The partial of a window, or a pane, that starts at {@code start}; made if it is not there. */
    private Partial partial(Group found, int spec, boolean pane, String group, long start) {
        Partial partial = found.find(Group.slot(spec, pane, specs.size()), start);
        if (partial == null) {
            partial = new Partial(spec, pane, group, window(spec, start, pane ? advanceMillis[spec] : sizeMillis[spec]),
                    start + sizeMillis[spec] + graceMillis[spec], new UniqueCounter(exactLimit));
            found.add(partial, start, specs.size());
            open++;
            nextClose = Math.min(nextClose, partial.closesAt);
        }
        return partial;
    }

    private void count(Partial partial, ClickEvent event) {
        partial.touched = ++touches;
        partial.views++;
        partial.users.add(event.userId());
        if (event.value() != null) {
            partial.valueSum = partial.valueSum.add(java.math.BigDecimal.valueOf(event.value()));
        }
        markChanged(partial);
        markUnsaved(partial);
    }

    private Window window(int spec, long start) {
        return window(spec, start, sizeMillis[spec]);
    }

    private Window window(int spec, long start, long length) {
        return new Window(specs.get(spec).name(), Instant.ofEpochMilli(start), Instant.ofEpochMilli(start + length));
    }

    private void markChanged(Partial partial) {
        if (!partial.changed) {
            partial.changed = true;
            (paned[partial.spec] ? changedPaned : changed).add(partial);
        }
    }

    private void markUnsaved(Partial partial) {
        if (!partial.unsaved) {
            partial.unsaved = true;
            unsaved.add(partial);
        }
    }

    /**
     * The partials to send now, each with a new version: those of on-update definitions that changed, and those of
     * final-only definitions whose window the watermark has closed (sent once, complete for this partition).
     * Then forgets the windows that the watermark has closed.
     */
    public List<Update> drain() {
        long watermark = watermarkMillis();
        boolean closing = closing(watermark);
        List<Update> updates = new ArrayList<>(closedWindows.size() + changed.size());
        updates.addAll(closedWindows);
        closedWindows.clear();
        int kept = 0;
        for (int i = 0; i < changed.size(); i++) {
            Partial partial = changed.get(i);
            if (specs.get(partial.spec).emit() == WindowSpec.EmitPolicy.ON_UPDATE
                    || (closing && watermark >= partial.closesAt)) {
                updates.add(send(partial));
                partial.changed = false;
            } else {
                changed.set(kept++, partial);
            }
        }
        changed.subList(kept, changed.size()).clear();
        removeClosed();
        countAhead();
        return updates;
    }

    /** Sets how many windows a {@link #drain} counts ahead of their close (0: none); for tests that compare. */
    void countAheadPerDrain(int windows) {
        countAheadPerDrain = windows;
    }

    /** How many closes used a count made ahead, for tests. */
    long closesCountedAhead() {
        return closesCountedAhead;
    }

    /**
     * Counts the distinct users of up to {@link #countAheadPerDrain} paned windows whose panes the watermark has all
     * passed but which are still open for late events (see {@link #COUNT_AHEAD_PER_DRAIN}). The same parts in the
     * same order as at the close, so the same figures; an event counted in a pane since makes the close count again.
     */
    private void countAhead() {
        long watermark = watermarkMillis();
        if (countAheadPerDrain == 0 || watermark == Long.MIN_VALUE) {
            return;
        }
        if (watermark > countAheadThrough) {
            for (int s = 0; s < specs.size(); s++) {
                if (!paned[s]) {
                    continue;
                }
                long step = advanceMillis[s];
                long lastEnded = Math.floorDiv(watermark - sizeMillis[s], step) * step;
                long first = countAheadThrough == Long.MIN_VALUE ? Long.MIN_VALUE
                        : Math.floorDiv(countAheadThrough - sizeMillis[s], step) * step + step;
                // windows whose ends the watermark has passed since, and that it does not close yet
                for (long start = Math.max(first, Math.floorDiv(watermark - sizeMillis[s] - graceMillis[s], step)
                        * step + step); start <= lastEnded; start += step) {
                    for (String group : groups.keySet()) {
                        toCountAhead.add(new WindowKey(group, s, start));
                    }
                }
            }
            countAheadThrough = watermark;
        }
        int left = countAheadPerDrain;
        List<UniqueCounter> users = new ArrayList<>();
        while (left > 0 && !toCountAhead.isEmpty()) {
            WindowKey key = toCountAhead.poll();
            Group group = groups.get(key.group());
            if (group == null || watermark >= key.start() + sizeMillis[key.spec()] + graceMillis[key.spec()]) {
                continue; // closed meanwhile
            }
            users.clear();
            for (Partial part : windowParts(group, key.spec(), key.start(), group.find(key.spec(), key.start()))) {
                users.add(part.users);
            }
            if (!users.isEmpty()) {
                countedAhead.put(key, new CountedAhead(unionTable.distinct(users, exactLimit), touches));
                left--;
            }
        }
    }

    /**
     * The parts of a paned window, in the order its count takes them (the same parts in the same order give the same
     * estimate): its own partial {@code kept}, if any (for its version, and holding the events of a checkpoint from
     * before panes), then its panes from the first.
     */
    private List<Partial> windowParts(Group group, int s, long start, Partial kept) {
        List<Partial> parts = new ArrayList<>(1 + (int) (sizeMillis[s] / advanceMillis[s]));
        if (kept != null) {
            parts.add(kept);
        }
        int pane = Group.slot(s, true, specs.size());
        for (long at = start; at < start + sizeMillis[s]; at += advanceMillis[s]) {
            Partial partial = group.find(pane, at);
            if (partial != null) {
                parts.add(partial);
            }
        }
        return parts;
    }

    /**
     * Every partial changed since it was last sent, final-only ones too, each with a new version: before the
     * partition says it is idle, after which stage 2 no longer waits for its watermark to close those windows.
     */
    public List<Update> flush() {
        List<Update> updates = new ArrayList<>(closedWindows.size() + changed.size());
        updates.addAll(closedWindows);
        closedWindows.clear();
        long watermark = watermarkMillis();
        for (Partial partial : changed) {
            updates.add(send(partial));
            partial.changed = false;
        }
        changed.clear();
        Set<WindowKey> sent = new HashSet<>();
        for (Partial partial : changedPaned) {
            // every window still open that holds the pane, or this window of a partial from before panes
            int s = partial.spec;
            long start = partial.window.start().toEpochMilli();
            Group group = groups.get(partial.group);
            for (long window = firstWindow(s, partial.pane, start); window <= start; window += advanceMillis[s]) {
                boolean closed = watermark != Long.MIN_VALUE
                        && watermark >= window + sizeMillis[s] + graceMillis[s];
                if (!closed && sent.add(new WindowKey(partial.group, s, window))) {
                    Update update = sendWindow(group, partial.group, s, window, true);
                    if (update != null) {
                        updates.add(update);
                    }
                }
            }
        }
        for (Partial partial : changedPaned) {
            partial.changed = false;
            markUnsaved(partial); // a checkpoint must know it is no longer pending
        }
        changedPaned.clear();
        return updates;
    }

    /** True while a final-only partial has changes not sent yet: the partition must not say it is idle. */
    public boolean pending() {
        return !changed.isEmpty() || !changedPaned.isEmpty();
    }

    /**
     * Sends the windows of paned definitions that the watermark has closed since the last call: each made from its
     * panes, once (a window sent early and not changed since is not sent again).
     */
    private void closeWindows() {
        long watermark = watermarkMillis();
        long next = Long.MAX_VALUE;
        for (int s = 0; s < specs.size(); s++) {
            if (!paned[s]) {
                continue;
            }
            long step = advanceMillis[s];
            long reach = sizeMillis[s] + graceMillis[s];
            // the windows that start in [first, last] are closed now and were not before
            long last = Math.floorDiv(watermark - reach, step) * step;
            long first = closedThrough == Long.MIN_VALUE ? Long.MIN_VALUE
                    : Math.floorDiv(closedThrough - reach, step) * step + step;
            if (first <= last) {
                for (Map.Entry<String, Group> entry : groups.entrySet()) {
                    close(entry.getValue(), entry.getKey(), s, first, last);
                }
            }
            next = Math.min(next, last + step + reach);
        }
        closedThrough = watermark;
        nextWindowClose = next;
    }

    /** Where the first window of definition {@code s} holding the pane (or being the window) at {@code start} is. */
    private long firstWindow(int s, boolean pane, long start) {
        return pane ? start - sizeMillis[s] + advanceMillis[s] : start;
    }

    /** Sends the windows of definition {@code s} in {@code group} that start in [first, last] and have events. */
    private void close(Group group, String name, int s, long first, long last) {
        long step = advanceMillis[s];
        int pane = Group.slot(s, true, specs.size());
        long low = Long.MAX_VALUE;
        long high = Long.MIN_VALUE;
        for (int i = 0; i < group.size; i++) {
            if (group.specs[i] == s || group.specs[i] == pane) {
                long start = group.starts[i];
                low = Math.min(low, firstWindow(s, group.specs[i] == pane, start));
                high = Math.max(high, start);
            }
        }
        for (long start = Math.max(first, low); start <= Math.min(last, high); start += step) {
            Update update = sendWindow(group, name, s, start, false);
            if (update != null) {
                closedWindows.add(update);
            }
        }
    }

    /**
     * The window of paned definition {@code s} that starts at {@code start}, with a new version: the sum of its
     * panes and its partial; null if it has no events, or was sent early and has not changed since. Sent early (not
     * closed yet), its partial keeps the version.
     */
    private Update sendWindow(Group group, String name, int s, long start, boolean early) {
        CountedAhead ahead = early || countedAhead.isEmpty() ? null
                : countedAhead.remove(new WindowKey(name, s, start));
        Partial kept = group.find(s, start);
        List<Partial> parts = windowParts(group, s, start, kept);
        boolean changedSinceSent = kept == null || kept.version == 0 || kept.changed;
        long views = 0;
        java.math.BigDecimal valueSum = java.math.BigDecimal.ZERO;
        long touched = 0;
        List<UniqueCounter> users = new ArrayList<>(parts.size());
        for (Partial partial : parts) {
            views += partial.views;
            valueSum = plus(valueSum, partial.valueSum);
            changedSinceSent |= partial.changed;
            touched = Math.max(touched, partial.touched);
            users.add(partial.users);
        }
        if (views == 0 || !changedSinceSent) {
            return null;
        }
        long version = (kept == null ? 0 : kept.version) + 1;
        if (early) {
            if (kept == null) {
                kept = partial(group, s, false, name, start);
            }
            kept.version = version;
            kept.changed = false;
            markUnsaved(kept);
        }
        UniqueCounter.UnionTable.Distinct distinct;
        if (ahead != null && touched <= ahead.touches()) {
            distinct = ahead.distinct();
            closesCountedAhead++;
        } else {
            distinct = unionTable.distinct(users, exactLimit);
        }
        return new Update(partition, name, window(s, start), views, distinct.estimate(), distinct.method(),
                distinct.relativeError(), valueSum, version);
    }

    /**
     * {@code sum + more}. Most windows have no values, so most sums are zero: adding a zero of scale 0 is skipped,
     * as it changes neither the value nor the scale of a sum of scale 0 or more (every sum starts at zero).
     */
    static java.math.BigDecimal plus(java.math.BigDecimal sum, java.math.BigDecimal more) {
        return more.signum() == 0 && more.scale() == 0 ? sum : sum.add(more);
    }

    private Update send(Partial partial) {
        partial.version++;
        markUnsaved(partial);
        return new Update(partition, partial.group, partial.window, partial.views, partial.users.estimate(),
                partial.users.method(), partial.users.relativeError(), partial.valueSum, partial.version);
    }

    /** True if the watermark may have closed some open window. */
    private boolean closing(long watermark) {
        return watermark != Long.MIN_VALUE && watermark >= nextClose;
    }

    private void removeClosed() {
        long watermark = watermarkMillis();
        if (!closing(watermark)) {
            return;
        }
        nextClose = Long.MAX_VALUE;
        boolean removedAny = false;
        Iterator<Group> all = groups.values().iterator();
        while (all.hasNext()) {
            Group group = all.next();
            int kept = 0;
            for (int i = 0; i < group.size; i++) {
                Partial partial = group.partials[i];
                if (watermark >= partial.closesAt) {
                    partial.removed = true; // gone after a restore too: the watermark closes it again
                    removedAny = true;
                    open--;
                    group.removed(partial, group.starts[i], specs.size());
                } else {
                    nextClose = Math.min(nextClose, partial.closesAt);
                    group.specs[kept] = group.specs[i];
                    group.starts[kept] = group.starts[i];
                    group.partials[kept++] = partial;
                }
            }
            Arrays.fill(group.partials, kept, group.size, null);
            group.size = kept;
            if (kept == 0) {
                all.remove();
            }
        }
        if (removedAny) {
            changed.removeIf(p -> p.removed);
            changedPaned.removeIf(p -> p.removed);
            unsaved.removeIf(p -> p.removed);
        }
    }

    /**
     * Writes what changed since the last checkpoint, for a delta: the watermark's event time, and each changed
     * partial's totals with the users it gained.
     */
    public void writeChanges(java.io.DataOutput out) throws java.io.IOException {
        out.writeLong(maxEventTime);
        out.writeInt(unsaved.size());
        for (Partial partial : unsaved) {
            writeTotals(partial, out);
            partial.users.writeChanges(out);
        }
    }

    /** What a snapshot and a delta write alike of a partial, before its users. */
    private void writeTotals(Partial partial, java.io.DataOutput out) throws java.io.IOException {
        out.writeUTF(partial.window.spec());
        out.writeUTF(partial.group);
        out.writeLong(partial.window.start().toEpochMilli());
        out.writeLong(partial.window.end().toEpochMilli());
        out.writeLong(partial.views);
        out.writeLong(partial.version);
        out.writeUTF(partial.valueSum.toString());
        out.writeBoolean(partial.changed);
    }

    /**
     * Reads a partial written by {@link #writeTotals} and its users (all of them from a snapshot, or those gained
     * from a {@code delta}), into the state; a partial of a definition no longer configured is dropped. Leaves
     * partials that are no longer pending in {@link #changed}, for {@link #restored} to take out.
     */
    private void readPartial(java.io.DataInputStream in, boolean withPending, boolean delta)
            throws java.io.IOException {
        String specName = in.readUTF();
        String group = in.readUTF();
        long start = in.readLong();
        long end = in.readLong();
        Window window = new Window(specName, Instant.ofEpochMilli(start), Instant.ofEpochMilli(end));
        long views = in.readLong();
        long version = in.readLong();
        java.math.BigDecimal valueSum = new java.math.BigDecimal(in.readUTF());
        boolean pending = withPending && in.readBoolean();
        Integer spec = specIndex.get(specName);
        boolean pane = spec != null && paned[spec] && end - start == advanceMillis[spec];
        if (spec == null || !pane && end - start != sizeMillis[spec]) {
            // of a definition no longer configured, or configured otherwise: its users are read past, and dropped
            if (delta) {
                new UniqueCounter(exactLimit).readChanges(in);
            } else {
                UniqueCounter.readFrom(in, exactLimit);
            }
            return;
        }
        Group found = groups.computeIfAbsent(group, g -> new Group());
        Partial partial;
        if (delta) {
            partial = partial(found, spec, pane, group, start);
            partial.users.readChanges(in);
            markUnsaved(partial);
        } else {
            partial = new Partial(spec, pane, group, window, start + sizeMillis[spec] + graceMillis[spec],
                    UniqueCounter.readFrom(in, exactLimit));
            Partial replaced = found.put(partial, start, specs.size());
            if (replaced == null) {
                open++;
            } else {
                replaced.removed = true;
            }
        }
        partial.views = views;
        partial.version = version;
        partial.valueSum = valueSum;
        nextClose = Math.min(nextClose, partial.closesAt);
        if (pending) {
            markChanged(partial);
        } else {
            partial.changed = false;
        }
    }

    /**
     * After partials were read: takes those no longer pending, or replaced, out of {@link #changed}. Every window
     * that the watermark read closes was sent before the checkpoint.
     */
    private void restored() {
        changed.removeIf(p -> !p.changed || p.removed);
        changedPaned.removeIf(p -> !p.changed || p.removed);
        unsaved.removeIf(p -> p.removed);
        closedThrough = watermarkMillis();
        nextWindowClose = Long.MIN_VALUE;
        closedWindows.clear(); // sent by the batch that closed them, if it committed; else closed again
        countedAhead.clear(); // counted from the partials before the restore
        toCountAhead.clear();
        countAheadThrough = Long.MIN_VALUE;
    }

    /** Applies a delta written by {@link #writeChanges} to the state it was written after. */
    public void readChanges(java.io.DataInputStream in) throws java.io.IOException {
        readChanges(in, true);
    }

    /** {@link #readChanges(java.io.DataInputStream)}; {@code withPending} is false for deltas of format 2. */
    public void readChanges(java.io.DataInputStream in, boolean withPending) throws java.io.IOException {
        maxEventTime = in.readLong();
        int size = in.readInt();
        for (int i = 0; i < size; i++) {
            readPartial(in, withPending, true);
        }
        restored();
        removeClosed();
    }

    /** The state as it is now is in a checkpoint. */
    public void checkpointed() {
        for (Partial partial : unsaved) {
            partial.users.checkpointed();
            partial.unsaved = false;
        }
        unsaved.clear();
    }

    /** Writes the whole state, for a checkpoint. */
    public void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeLong(maxEventTime);
        out.writeInt(open);
        for (Group group : groups.values()) {
            for (int i = 0; i < group.size; i++) {
                writeTotals(group.partials[i], out);
                group.partials[i].users.writeTo(out);
            }
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
        maxEventTime = in.readLong();
        int size = in.readInt();
        groups.clear();
        open = 0;
        changed.clear();
        changedPaned.clear();
        unsaved.clear();
        nextClose = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            readPartial(in, withPending, false);
        }
        restored();
    }

    /** Windows still open in this partition (of a paned definition: its panes, and windows sent early). */
    public int openWindows() {
        return open;
    }
}
