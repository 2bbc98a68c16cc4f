package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Views and distinct users per page and UTC day of the (corrected) event time: the batch layer's daily summary,
 * used alike by {@code ./tally batch} over files and by a batch run's tasks over Kafka. One pass, hash aggregation,
 * exact sets of users; an event id is counted once however often it occurs. Never rescans: each event costs a few
 * hash lookups whatever the number of pages and days.
 * <p>
 * Strings are interned ({@link CharTable}) so that the per-key user sets hold ints and a repeated string costs
 * nothing: memory grows with distinct event ids (about 16 bytes plus their characters each) and distinct
 * (page, day, user) triples (about 8 bytes each).
 */
public final class DailyCounts {

    /** One row of the summary. */
    public record Row(String pageId, LocalDate date, long views, long uniqueUsers) {
    }

    /**
     * The order of rows: by page id in Unicode code point order (the order of their UTF-8 bytes, which is also
     * PostgreSQL's {@code COLLATE "C"}), then by date.
     */
    public static final Comparator<Row> ROW_ORDER = Comparator.comparing(Row::pageId, DailyCounts::compareCodePoints)
            .thenComparing(Row::date);

    /** Characters of an event id that a table sized in advance makes room for (a UUID has 36). */
    private static final int EVENT_ID_CHARS = 40;
    /** Event ids a table sized in advance holds at most before growing: beyond it, growing costs little. */
    private static final int MAX_PRESIZED = 1 << 21;

    private final CharTable eventIds;
    private final CharTable users = new CharTable();
    private final CharTable pages = new CharTable();

    /** slot + 1 per hash position, 0 when empty: a power of two, at most half full. */
    private int[] keySlots = new int[256];
    private long[] keys = new long[128];
    private long[] views = new long[128];
    private IntSet[] userSets = new IntSet[128];
    private int keyCount;

    private int[] hashes = new int[64];
    /** What {@link #addAll} read ahead, kept only so that the reads are not optimized away. */
    @SuppressWarnings("unused")
    private long touched;

    private long events;
    private long duplicates;
    private long maxEventTimeMillis = Long.MIN_VALUE;

    public DailyCounts() {
        eventIds = new CharTable();
    }

    /**
     * Counts sized for about {@code expectedEvents} events (a batch task's records): the set of event ids is
     * allocated once instead of rehashed and copied each time it doubles.
     */
    public DailyCounts(long expectedEvents) {
        eventIds = new CharTable((int) Math.min(Math.max(expectedEvents, 0), MAX_PRESIZED), EVENT_ID_CHARS);
    }

    /** Counts the event; false (and nothing counted) if its event id was counted before. */
    public boolean add(ClickFields event) {
        return add(event, event.eventIdHash());
    }

    /**
     * Counts {@code events[0, count)} in order, as {@link #add(ClickFields)} one by one would: first it reads where
     * each event id would go in the table of event ids, all of them, so that those reads (each a cache miss in a
     * table of millions) overlap, then it counts each event.
     */
    public void addAll(ClickFields[] events, int count) {
        if (hashes.length < count) {
            hashes = new int[count];
        }
        long touched = 0;
        for (int i = 0; i < count; i++) {
            int hash = events[i].eventIdHash();
            hashes[i] = hash;
            touched += eventIds.touch(hash);
        }
        this.touched = touched;
        for (int i = 0; i < count; i++) {
            add(events[i], hashes[i]);
        }
    }

    private boolean add(ClickFields event, int eventIdHash) {
        int known = eventIds.size();
        event.internEventId(eventIds, eventIdHash);
        if (eventIds.size() == known) {
            duplicates++;
            return false;
        }
        events++;
        int page = event.internPageId(pages);
        int user = event.internUserId(users);
        long day = event.epochDay();
        int slot = slot(((long) page << 32) | (day & 0xffffffffL));
        views[slot]++;
        userSets[slot].add(user);
        if (event.eventTimeMillis > maxEventTimeMillis) {
            maxEventTimeMillis = event.eventTimeMillis;
        }
        return true;
    }

    /** Counts a bound event; false if its event id was counted before. */
    public boolean add(ClickEvent event) {
        return add(ClickFields.of(event));
    }

    /** Events counted (each event id once). */
    public long events() {
        return events;
    }

    /** Events not counted because their event id was counted before. */
    public long duplicates() {
        return duplicates;
    }

    /** The highest event time counted, in epoch milliseconds; {@code Long.MIN_VALUE} if nothing was counted. */
    public long maxEventTimeMillis() {
        return maxEventTimeMillis;
    }

    public boolean isEmpty() {
        return keyCount == 0;
    }

    /** The rows, sorted by {@link #ROW_ORDER}: the same counts always give the same list. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>(keyCount);
        for (int slot = 0; slot < keyCount; slot++) {
            long key = keys[slot];
            rows.add(new Row(pages.get((int) (key >>> 32)), LocalDate.ofEpochDay((int) key), views[slot],
                    userSets[slot].size()));
        }
        rows.sort(ROW_ORDER);
        return rows;
    }

    /** Compares strings by Unicode code point, as UTF-8 bytes compare (not by UTF-16 unit, as String does). */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private int slot(long key) {
        int mask = keySlots.length - 1;
        int at = mix(key) & mask;
        while (true) {
            int entry = keySlots[at];
            if (entry == 0) {
                break;
            }
            if (keys[entry - 1] == key) {
                return entry - 1;
            }
            at = (at + 1) & mask;
        }
        if (keyCount == keys.length) {
            int grown = keyCount * 2;
            keys = Arrays.copyOf(keys, grown);
            views = Arrays.copyOf(views, grown);
            userSets = Arrays.copyOf(userSets, grown);
        }
        int slot = keyCount++;
        keys[slot] = key;
        userSets[slot] = new IntSet();
        keySlots[at] = slot + 1;
        if (keyCount * 2 > keySlots.length) {
            rehash();
        }
        return slot;
    }

    private void rehash() {
        keySlots = new int[keySlots.length * 2];
        int mask = keySlots.length - 1;
        for (int slot = 0; slot < keyCount; slot++) {
            int at = mix(keys[slot]) & mask;
            while (keySlots[at] != 0) {
                at = (at + 1) & mask;
            }
            keySlots[at] = slot + 1;
        }
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
