package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Views and distinct users per page and UTC day of the (corrected) event time: the batch layer's daily summary.
 * One pass, hash aggregation, exact sets of users.
 */
public final class DailyCounts {

    /** A page on a day. */
    public record Key(String pageId, LocalDate day) {
    }

    /** What one batch saw of a key: how many events, and which users. */
    public static final class Tally {
        private long views;
        private final Set<String> users = new LinkedHashSet<>();

        public long views() {
            return views;
        }

        public Set<String> users() {
            return users;
        }
    }

    private final Map<Key, Tally> byKey = new LinkedHashMap<>();

    public void add(ClickEvent event) {
        Key key = new Key(event.pageId(), LocalDate.ofInstant(event.eventTime(), ZoneOffset.UTC));
        Tally tally = byKey.computeIfAbsent(key, k -> new Tally());
        tally.views++;
        tally.users.add(event.userId());
    }

    public Map<Key, Tally> byKey() {
        return byKey;
    }

    public boolean isEmpty() {
        return byKey.isEmpty();
    }
}
