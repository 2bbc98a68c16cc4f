package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Watermarks, late events, grace, emit policies and idle partitions, case by case. */
class StageTest {
    private static final Instant BASE = Instant.parse("2026-11-23T10:00:00Z");
    private static final WindowSpec MINUTE = WindowSpec.tumbling("minute", Duration.ofMinutes(1),
            Duration.ofSeconds(10), WindowSpec.EmitPolicy.ON_UPDATE);
    private static final WindowSpec MINUTE_FINAL = WindowSpec.tumbling("minute-final", Duration.ofMinutes(1),
            Duration.ZERO, WindowSpec.EmitPolicy.FINAL);

    private static ClickEvent click(String user, String page, int seconds) {
        Instant time = BASE.plusSeconds(seconds);
        return new ClickEvent(user + "@" + seconds, user, page, "view", time, null, time, null, null);
    }

    @Test
    void theWatermarkTrailsTheHighestEventTime() {
        PartialWindows stage1 = new PartialWindows(0, List.of(MINUTE), Duration.ofSeconds(5), 100);
        assertNull(stage1.watermark());
        stage1.add(click("a", "home", 30));
        stage1.add(click("a", "home", 20));
        assertEquals(BASE.plusSeconds(25), stage1.watermark());
    }

    @Test
    void anEventWithinGraceIsACorrectionAndPastGraceIsLate() {
        PartialWindows stage1 = new PartialWindows(0, List.of(MINUTE), Duration.ZERO, 100);
        stage1.add(click("a", "home", 10));
        stage1.drain();
        stage1.add(click("b", "home", 65)); // watermark 01:05: minute 0 ends at 01:00, grace until 01:10
        assertTrue(stage1.add(click("c", "home", 50)).isEmpty(), "within grace: counted");
        List<PartialWindows.Update> corrections = stage1.drain();
        PartialWindows.Update minute0 = corrections.stream().filter(u -> u.window().start().equals(BASE))
                .findFirst().orElseThrow();
        assertEquals(2, minute0.views());
        assertEquals(2, minute0.version(), "a correction has a higher version");

        stage1.add(click("d", "home", 75)); // watermark 01:15: minute 0 is closed
        PartialWindows.Late late = stage1.add(click("e", "home", 55)).orElseThrow();
        assertEquals(BASE, late.missed().get(0).start());
    }

    @Test
    void stageTwoAddsPartitionsAndIsFinalOnlyWhenAllWatermarksPassed() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 2, Duration.ofMinutes(5), Duration.ofHours(1), 0);
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE), Duration.ZERO, 100);
        PartialWindows p1 = new PartialWindows(1, List.of(MINUTE), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p1.add(click("b", "home", 20));
        p1.add(click("b", "home", 30));
        p0.drain().forEach(u -> stage2.apply(u, 1));
        p1.drain().forEach(u -> stage2.apply(u, 1));
        stage2.watermark(0, p0.watermark(), 1);
        stage2.watermark(1, p1.watermark(), 1);
        WindowTotals.Result provisional = stage2.drain(1).get(0);
        assertEquals(3, provisional.views());
        assertEquals(2, provisional.uniqueUsers());
        assertFalse(provisional.finalResult());

        p0.add(click("a", "other", 100)); // partition 0 is past 01:10, partition 1 is not
        p0.drain().forEach(u -> stage2.apply(u, 2));
        stage2.watermark(0, p0.watermark(), 2);
        assertTrue(stage2.drain(2).stream().noneMatch(r -> r.pageId().equals("home")));

        stage2.watermark(1, BASE.plusSeconds(80), 3);
        WindowTotals.Result fin = stage2.drain(3).stream().filter(r -> r.pageId().equals("home")).findFirst()
                .orElseThrow();
        assertTrue(fin.finalResult());
        assertEquals(3, fin.views());
        assertTrue(fin.version() > provisional.version());
    }

    @Test
    void anIdlePartitionStopsHoldingTheWatermarkBack() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE_FINAL), 2, Duration.ofSeconds(30),
                Duration.ofHours(1), 0);
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE_FINAL), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p0.add(click("a", "home", 70));
        p0.drain().forEach(u -> stage2.apply(u, 1_000));
        stage2.watermark(0, p0.watermark(), 1_000);
        assertTrue(stage2.drain(1_000).isEmpty(), "partition 1 has said nothing yet: nothing is final");
        List<WindowTotals.Result> afterIdle = stage2.drain(31_000);
        assertEquals(1, afterIdle.size(), "partition 1 is idle after 30 s: the window is final");
        assertTrue(afterIdle.get(0).finalResult());
        assertEquals(1, afterIdle.get(0).views());
    }

    @Test
    void finalOnlyWindowsAreSuppressedUntilFinal() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE_FINAL), 1, Duration.ofMinutes(5), Duration.ofHours(1),
                0);
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE_FINAL), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p0.drain().forEach(u -> stage2.apply(u, 1));
        stage2.watermark(0, p0.watermark(), 1);
        assertTrue(stage2.drain(1).isEmpty());
        p0.add(click("a", "home", 61));
        p0.drain().forEach(u -> stage2.apply(u, 2));
        stage2.watermark(0, p0.watermark(), 2);
        List<WindowTotals.Result> results = stage2.drain(2);
        assertEquals(1, results.size());
        assertTrue(results.get(0).finalResult());
    }

    @Test
    void aRepeatedOrOlderPartialChangesNothing() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 1, Duration.ofMinutes(5), Duration.ofHours(1), 0);
        PartialWindows.Update v2 = new PartialWindows.Update(0, "home", MINUTE.windowsOf(BASE).get(0), 5, 3,
                "exact", 0, 2);
        PartialWindows.Update v1 = new PartialWindows.Update(0, "home", MINUTE.windowsOf(BASE).get(0), 4, 2,
                "exact", 0, 1);
        stage2.apply(v2, 1);
        stage2.watermark(0, BASE, 1);
        assertEquals(5, stage2.drain(1).get(0).views());
        stage2.apply(v1, 2);
        stage2.apply(v2, 2);
        assertTrue(stage2.drain(2).isEmpty());
    }

    @Test
    void beyondTheExactLimitUniqueUsersComeFromASketch() {
        UniqueCounter counter = new UniqueCounter(100);
        for (int i = 0; i < 10_000; i++) {
            counter.add("user-" + i);
        }
        assertEquals("hll", counter.method());
        assertTrue(Math.abs(counter.estimate() - 10_000) <= 10_000 * counter.relativeError(),
                counter.estimate() + " within " + counter.relativeError());
    }

    @Test
    void sessionsMergeOutOfOrderEventsAndCompleteAfterTheGap() {
        SessionWindows sessions = new SessionWindows(WindowSpec.session("session", Duration.ofMinutes(5),
                Duration.ZERO));
        sessions.add(click("a", "home", 0), null);
        sessions.add(click("a", "cart", 500), null);  // 8m20s later: a second session
        sessions.add(click("a", "list", 250), null);  // bridges the two into one
        sessions.add(click("b", "home", 100), null);
        assertEquals(2, sessions.openSessions());
        assertTrue(sessions.complete(BASE.plusSeconds(700)).stream().noneMatch(s -> s.userId().equals("a")));
        List<SessionWindows.Session> done = sessions.complete(BASE.plusSeconds(800));
        SessionWindows.Session a = done.stream().filter(s -> s.userId().equals("a")).findFirst().orElseThrow();
        assertEquals(BASE, a.start());
        assertEquals(BASE.plusSeconds(500), a.end());
        assertEquals(3, a.events());
        assertEquals(List.of("cart", "home", "list"), a.pages());
        assertTrue(sessions.add(click("a", "late", 300), BASE.plusSeconds(800)).isPresent(), "late");
    }
}
