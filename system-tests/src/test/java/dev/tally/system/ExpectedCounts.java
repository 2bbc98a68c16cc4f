package dev.tally.system;

import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the daily summaries must say, computed by the test from the clicks that ingest acknowledged: views and
 * distinct users per page and UTC day. A click that was not acknowledged is never added, so a summary that
 * equals this one has lost nothing and counted nothing twice. Safe to fill from a sending thread.
 */
final class ExpectedCounts {

    /** One day of one page, as the view-service reports it. */
    record Day(long totalViews, long uniqueUsers) {
        @Override
        public String toString() {
            return totalViews + " views/" + uniqueUsers + " users";
        }
    }

    private final Map<String, Map<LocalDate, Long>> views = new HashMap<>();
    private final Map<String, Map<LocalDate, Set<String>>> users = new HashMap<>();
    private long acknowledged;

    synchronized void add(Click click) {
        views.computeIfAbsent(click.pageId(), p -> new HashMap<>()).merge(click.day(), 1L, Long::sum);
        users.computeIfAbsent(click.pageId(), p -> new HashMap<>())
                .computeIfAbsent(click.day(), d -> new HashSet<>()).add(click.userId());
        acknowledged++;
    }

    /** Every day that {@code pageId} has clicks on, in date order. */
    synchronized SortedMap<LocalDate, Day> of(String pageId) {
        SortedMap<LocalDate, Day> days = new TreeMap<>();
        views.getOrDefault(pageId, Map.of()).forEach((day, count) ->
                days.put(day, new Day(count, users.get(pageId).get(day).size())));
        return days;
    }

    synchronized long acknowledged() {
        return acknowledged;
    }
}
