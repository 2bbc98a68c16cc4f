package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DailyCountsTest {

    private static ClickEvent click(String user, String page, String time) {
        return new ClickEvent("e-" + user + time, user, page, "view", Instant.parse(time), null, Instant.parse(time),
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

        DailyCounts.Tally home23 = counts.byKey().get(new DailyCounts.Key("/home", LocalDate.parse("2026-11-23")));
        assertEquals(3, home23.views());
        assertEquals(2, home23.users().size());
        DailyCounts.Tally home22 = counts.byKey().get(new DailyCounts.Key("/home", LocalDate.parse("2026-11-22")));
        assertEquals(1, home22.views());
        assertEquals(1, counts.byKey().get(new DailyCounts.Key("/about", LocalDate.parse("2026-11-23"))).views());
        assertEquals(3, counts.byKey().size());
    }
}
