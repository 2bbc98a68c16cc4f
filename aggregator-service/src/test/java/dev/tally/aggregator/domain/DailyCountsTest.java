package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DailyCountsTest {

    private static ClickEvent click(String user, String page, String time) {
        return new ClickEvent("e-" + user + page + time, user, page, "view", Instant.parse(time), null, Instant.parse(time),
                null, null);
    }

    @Test
    void countsViewsAndDistinctUsersPerPageAndUtcDay() {
        DailyCounts counts = new DailyCounts();
        counts.add(click("alice", "/home", "2026-11-23T00:00:00Z"));
        counts.add(click("alice", "/home", "2026-11-23T23:59:59.999Z"));
        counts.add(click("bob", "/home", "2026-11-23T12:00:00Z"));
        counts.add(click("bob", "/home", "2026-11-22T23:59:59.999Z"));
        counts.add(click("bob", "/about", "2026-11-23T12:00:00Z"));

        assertEquals(List.of(
                new DailyCounts.Row("/about", LocalDate.parse("2026-11-23"), 1, 1),
                new DailyCounts.Row("/home", LocalDate.parse("2026-11-22"), 1, 1),
                new DailyCounts.Row("/home", LocalDate.parse("2026-11-23"), 3, 2)), counts.rows());
        assertEquals(Instant.parse("2026-11-23T23:59:59.999Z").toEpochMilli(), counts.maxEventTimeMillis());
    }

    @Test
    void anEventIdCountsOnce() {
        DailyCounts counts = new DailyCounts();
        ClickEvent event = click("alice", "/home", "2026-11-23T10:00:00Z");
        assertTrue(counts.add(event));
        assertFalse(counts.add(event));
        assertEquals(1, counts.events());
        assertEquals(1, counts.duplicates());
        assertEquals(1, counts.rows().get(0).views());
    }

    @Test
    void anIdCountsAsTheSameStringWhetherItsJsonIsPlainEscapedOrANumber() {
        // plain ASCII ids are interned from the JSON's bytes, the others from decoded characters: one id either way
        DailyCounts counts = new DailyCounts(8);
        ClickFields fields = new ClickFields();
        String[] lines = {
                "{\"event_id\":\"e1\",\"user_id\":\"u7\",\"page_id\":\"/home\",\"event_time\":\"2026-11-23T10:00:00Z\"}",
                "{\"event_id\":\"e\\u0031\",\"user_id\":\"u7\",\"page_id\":\"/home\",\"event_time\":\"2026-11-23T10:00:00Z\"}",
                "{\"event_id\":\"e2\",\"user_id\":\"u\\u0037\",\"page_id\":\"\\/home\",\"event_time\":\"2026-11-23T11:00:00Z\"}",
                "{\"event_id\":3,\"user_id\":\"u7\",\"page_id\":\"/home\",\"event_time\":\"2026-11-23T12:00:00Z\"}",
                "{\"event_id\":\"3\",\"user_id\":\"u8\",\"page_id\":\"/home\",\"event_time\":\"2026-11-23T12:00:00Z\"}",
                // a repeated field: the last one counts, also when the first was plain and the last escaped
                "{\"event_id\":\"e4\",\"user_id\":\"u9\",\"user_id\":\"u\\u0038\",\"page_id\":\"/home\","
                        + "\"event_time\":\"2026-11-23T13:00:00Z\"}"};
        List<Boolean> counted = new ArrayList<>();
        for (String line : lines) {
            byte[] bytes = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(fields.parse(bytes, 0, bytes.length), line + ": " + fields.error());
            counted.add(counts.add(fields));
        }

        assertEquals(List.of(true, false, true, true, false, true), counted);
        assertEquals(List.of(new DailyCounts.Row("/home", LocalDate.parse("2026-11-23"), 4, 2)), counts.rows());
        assertEquals("u8", fields.userId());
    }

    @Test
    void rowsAreInCodePointOrderOfPageThenDate() {
        DailyCounts counts = new DailyCounts();
        // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 unit: the code point order is PostgreSQL's
        for (String page : List.of("\uD83D\uDE00", "\uFF5E", "b", "a", "é")) {
            counts.add(click("u", page, "2026-11-23T10:00:00Z"));
            counts.add(new ClickEvent("x-" + page, "u", page, "view", Instant.parse("2026-11-21T10:00:00Z"), null,
                    null, null, null));
        }
        List<String> order = counts.rows().stream().map(r -> r.pageId() + "/" + r.date()).toList();
        assertEquals(List.of("a/2026-11-21", "a/2026-11-23", "b/2026-11-21", "b/2026-11-23", "é/2026-11-21",
                "é/2026-11-23", "\uFF5E/2026-11-21", "\uFF5E/2026-11-23", "\uD83D\uDE00/2026-11-21",
                "\uD83D\uDE00/2026-11-23"), order);
    }

    @Test
    void equalsAPlainRecomputationOnManyEvents() {
        Random random = new Random(5);
        DailyCounts counts = new DailyCounts();
        Map<String, Long> views = new HashMap<>();
        Map<String, Set<String>> users = new HashMap<>();
        Set<String> ids = new HashSet<>();
        List<ClickEvent> events = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            String id = "e" + random.nextInt(40_000); // many repeats
            String user = "user-" + random.nextInt(3_000) + (i % 7 == 0 ? "\u00e9\u4e2d" : "");
            String page = "p" + random.nextInt(50);
            Instant time = Instant.parse("2026-11-20T00:00:00Z").plusSeconds(random.nextInt(4 * 86_400));
            events.add(new ClickEvent(id, user, page, "view", time, null, time, null, null));
        }
        for (ClickEvent e : events) {
            counts.add(e);
            if (ids.add(e.eventId())) {
                String key = e.pageId() + "/" + e.eventTime().toString().substring(0, 10);
                views.merge(key, 1L, Long::sum);
                users.computeIfAbsent(key, k -> new HashSet<>()).add(e.userId());
            }
        }
        assertEquals(views.size(), counts.rows().size());
        for (DailyCounts.Row row : counts.rows()) {
            String key = row.pageId() + "/" + row.date();
            assertEquals(views.get(key), row.views(), key);
            assertEquals(users.get(key).size(), row.uniqueUsers(), key);
        }
        assertEquals(ids.size(), counts.events());
    }

    @Test
    void countsSizedInAdvanceCountTheSameAlsoPastTheirSize() {
        Random random = new Random(11);
        List<ClickEvent> events = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String id = (i % 3 == 0 ? "\u4e2d-" : "e-") + random.nextInt(15_000); // repeats, some not Latin-1
            Instant time = Instant.parse("2026-11-20T00:00:00Z").plusSeconds(random.nextInt(3 * 86_400));
            events.add(new ClickEvent(id, "user-" + random.nextInt(500), "p" + random.nextInt(40), "view", time, null,
                    time, null, null));
        }
        DailyCounts plain = new DailyCounts();
        events.forEach(plain::add);
        // sized for the whole input, for a tenth of it (grows past its size), and for none of it
        for (long expected : List.of(20_000L, 2_000L, 0L)) {
            DailyCounts sized = new DailyCounts(expected);
            events.forEach(sized::add);
            assertEquals(plain.rows(), sized.rows(), "sized for " + expected);
            assertEquals(plain.events(), sized.events());
            assertEquals(plain.duplicates(), sized.duplicates());
        }
    }
}
