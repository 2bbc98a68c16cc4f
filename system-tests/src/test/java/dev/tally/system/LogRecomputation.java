package dev.tally.system;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.KafkaTestClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What aggregator-service must finally publish for some pages, recomputed from the {@code clicks} log alone, the
 * way a batch job over the system of record would: per page, the views and distinct users of every 1-minute
 * tumbling window and every 5-minute window hopping by 1 minute, and of every UTC day. It exists so that a system
 * test can hold the stream engine, whatever crashes it went through, to an independent computation that is
 * obviously right: the engine's results depend on the log alone, so the two must agree exactly.
 * <p>
 * It applies the engine's rules that decide what counts, as aggregator-service is configured: an event id counts
 * once (the first time the log has it), and an event is late for a window once its partition's watermark (the
 * highest event time counted there so far, minus the allowed out-of-orderness) has passed the window's end plus its
 * grace. A test that sends its clicks less out of order than allowed has no late clicks; {@link #late()} says so.
 */
final class LogRecomputation {
    /** {@code tally.aggregator.out-of-orderness}. */
    static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(5);
    /** The grace of the {@code minute} and {@code five-minutes} windows. */
    static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    /** Lenient like the engine's own mapper: a field added to a contract does not make a record unreadable. */
    private static final ObjectReader CLICKS = KafkaTestClient.JSON.readerFor(ClickEvent.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A page in a window, named as on {@code page-stats}: {@code page/kind/size[/advance]/start}. */
    record WindowKey(String pageId, String kind, String size, String advance, Instant start)
            implements Comparable<WindowKey> {
        private static final Comparator<WindowKey> ORDER = Comparator.comparing(WindowKey::pageId)
                .thenComparing(WindowKey::kind).thenComparing(WindowKey::size)
                .thenComparing(WindowKey::advance, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(WindowKey::start);

        static WindowKey minute(String pageId, Instant start) {
            return new WindowKey(pageId, "tumbling", "PT1M", null, start);
        }

        static WindowKey fiveMinutes(String pageId, Instant start) {
            return new WindowKey(pageId, "hopping", "PT5M", "PT1M", start);
        }

        static WindowKey of(WindowResult result) {
            return new WindowKey(result.pageId(), result.window().kind(), result.window().size(),
                    result.window().advance(), result.window().start());
        }

        /** Whether this is a window of one of the two definitions that this recomputation covers. */
        boolean recomputed() {
            return equals(minute(pageId, start)) || equals(fiveMinutes(pageId, start));
        }

        Instant end() {
            return start.plus("PT1M".equals(size) ? MINUTE : FIVE_MINUTES);
        }

        @Override
        public int compareTo(WindowKey other) {
            return ORDER.compare(this, other);
        }

        @Override
        public String toString() {
            return pageId + "/" + kind + "/" + size + (advance == null ? "" : "/" + advance) + "/" + start;
        }
    }

    /** Views and distinct users of a page in a window. */
    record Counts(long views, long uniqueUsers) {
        @Override
        public String toString() {
            return views + " views/" + uniqueUsers + " users";
        }
    }

    private final SortedMap<WindowKey, Counts> windows;
    private final ExpectedCounts days;
    private final Set<String> eventIds;
    private final int duplicates;
    private final int unreadable;
    private final List<String> late;

    private LogRecomputation(SortedMap<WindowKey, Counts> windows, ExpectedCounts days, Set<String> eventIds,
                             int duplicates, int unreadable, List<String> late) {
        this.windows = windows;
        this.days = days;
        this.eventIds = eventIds;
        this.duplicates = duplicates;
        this.unreadable = unreadable;
        this.late = late;
    }

    /**
     * Recomputes the windows of {@code pages} from {@code log}, records of every partition of {@code clicks} read
     * from its start. Every click counts for the watermark of its partition, whatever its page.
     */
    static LogRecomputation of(List<ConsumerRecord<String, String>> log, Set<String> pages) {
        List<ConsumerRecord<String, String>> ordered = new ArrayList<>(log);
        // the engine reads each partition in offset order; across partitions, order does not matter
        ordered.sort(Comparator.<ConsumerRecord<String, String>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        Map<Integer, Instant> highest = new HashMap<>();
        Set<String> seen = new HashSet<>();
        Set<String> eventIds = new HashSet<>();
        Map<WindowKey, Long> views = new HashMap<>();
        Map<WindowKey, Set<String>> users = new HashMap<>();
        ExpectedCounts days = new ExpectedCounts();
        List<String> late = new ArrayList<>();
        int duplicates = 0;
        int unreadable = 0;
        for (ConsumerRecord<String, String> record : ordered) {
            ClickEvent event = parse(record.value());
            if (event == null) {
                unreadable++;
                continue;
            }
            if (!seen.add(event.eventId())) {
                duplicates += pages.contains(event.pageId()) ? 1 : 0;
                continue;
            }
            Instant max = highest.get(record.partition());
            Instant watermark = max == null ? null : max.minus(OUT_OF_ORDERNESS);
            if (pages.contains(event.pageId())) {
                eventIds.add(event.eventId());
                days.add(new Click(event.eventId(), event.userId(), event.pageId(), event.eventTime()));
                for (WindowKey window : windowsOf(event.pageId(), event.eventTime())) {
                    if (watermark != null && !watermark.isBefore(window.end().plus(GRACE))) {
                        late.add(event.eventId() + " at " + event.eventTime() + " (clicks partition "
                                + record.partition() + " offset " + record.offset() + ", watermark " + watermark
                                + ") misses " + window);
                        continue;
                    }
                    views.merge(window, 1L, Long::sum);
                    users.computeIfAbsent(window, w -> new HashSet<>()).add(event.userId());
                }
            }
            if (max == null || event.eventTime().isAfter(max)) {
                highest.put(record.partition(), event.eventTime());
            }
        }
        SortedMap<WindowKey, Counts> windows = new TreeMap<>();
        views.forEach((window, count) -> windows.put(window, new Counts(count, users.get(window).size())));
        return new LogRecomputation(Collections.unmodifiableSortedMap(windows), days, Set.copyOf(eventIds),
                duplicates, unreadable, List.copyOf(late));
    }

    /** The windows that an event of {@code time} belongs to: its minute, and the five 5-minute windows around it. */
    static List<WindowKey> windowsOf(String pageId, Instant time) {
        Instant minute = Instant.ofEpochMilli(Math.floorDiv(time.toEpochMilli(), MINUTE.toMillis())
                * MINUTE.toMillis());
        List<WindowKey> windows = new ArrayList<>(6);
        windows.add(WindowKey.minute(pageId, minute));
        for (int back = 4; back >= 0; back--) {
            windows.add(WindowKey.fiveMinutes(pageId, minute.minus(MINUTE.multipliedBy(back))));
        }
        return windows;
    }

    private static ClickEvent parse(String value) {
        try {
            ClickEvent event = CLICKS.readValue(value);
            // what the engine skips as unreadable
            return event == null || event.eventId() == null || event.userId() == null || event.pageId() == null
                    || event.eventTime() == null ? null : event;
        } catch (Exception e) {
            return null;
        }
    }

    /** Every window of the pages with at least one click, in page, kind and time order. */
    SortedMap<WindowKey, Counts> windows() {
        return windows;
    }

    /** Views and distinct users of the pages per UTC day: the {@code day} window, as view-service serves it. */
    ExpectedCounts days() {
        return days;
    }

    /** The distinct event ids of the pages that the log holds. */
    Set<String> eventIds() {
        return eventIds;
    }

    /** Records of the pages whose event id came earlier in the log: written twice, counted once. */
    int duplicates() {
        return duplicates;
    }

    /** Records of any page that the engine cannot read as a click, and skips. */
    int unreadable() {
        return unreadable;
    }

    /** Each click of the pages that missed a window because it came after the window closed, and that window. */
    List<String> late() {
        return late;
    }

    /** How many windows of the pages are of {@code size} ({@code PT1M} or {@code PT5M}). */
    long count(String size) {
        return windows.keySet().stream().filter(w -> Objects.equals(w.size(), size)).count();
    }
}
