package dev.tally.alerting.domain;

import dev.tally.contracts.AlertEvent;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThresholdRuleTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final ThresholdRule rule = new ThresholdRule("r1", "home", 10, "tumbling", "P1D");

    private static WindowResult result(String page, String day, long views, long version) {
        return new WindowResult(page, WindowRef.utcDay(Instant.parse(day + "T00:00:00Z")), views, 1, version, false,
                null, Map.of(), NOW);
    }

    @Test
    void firesOnlyAboveTheThresholdAndOnlyForItsPage() {
        assertTrue(rule.evaluate(result("home", "2026-11-23", 10, 1), NOW).isEmpty());
        assertTrue(rule.evaluate(result("other", "2026-11-23", 99, 1), NOW).isEmpty());
        AlertEvent alert = rule.evaluate(result("home", "2026-11-23", 11, 1), NOW).orElseThrow();
        assertEquals("firing", alert.state());
        assertEquals(11.0, alert.value());
        assertEquals(10.0, alert.threshold());
        assertEquals("r1", alert.ruleId());
    }

    @Test
    void onlyTheWatchedWindowDefinitionCounts() {
        WindowResult minute = new WindowResult("home", new WindowRef("tumbling", "PT1M",
                Instant.parse("2026-11-23T10:00:00Z"), Instant.parse("2026-11-23T10:01:00Z")), 99, 1, 1, false, null,
                Map.of(), NOW);
        assertTrue(rule.evaluate(minute, NOW).isEmpty());
    }

    @Test
    void theSameWindowIsTheSameAlertWhateverItsVersion() {
        String first = rule.evaluate(result("home", "2026-11-23", 11, 1), NOW).orElseThrow().fingerprint();
        String later = rule.evaluate(result("home", "2026-11-23", 50, 7), NOW).orElseThrow().fingerprint();
        String nextDay = rule.evaluate(result("home", "2026-11-24", 11, 1), NOW).orElseThrow().fingerprint();
        assertEquals(first, later);
        assertNotEquals(first, nextDay);
    }
}
