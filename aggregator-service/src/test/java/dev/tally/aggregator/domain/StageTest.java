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
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 2, Duration.ofHours(1));
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE), Duration.ZERO, 100);
        PartialWindows p1 = new PartialWindows(1, List.of(MINUTE), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p1.add(click("b", "home", 20));
        p1.add(click("b", "home", 30));
        p0.drain().forEach(u -> stage2.apply(u));
        p1.drain().forEach(u -> stage2.apply(u));
        stage2.watermark(0, p0.watermark(), false);
        stage2.watermark(1, p1.watermark(), false);
        WindowTotals.Result provisional = stage2.drain().get(0);
        assertEquals(3, provisional.views());
        assertEquals(2, provisional.uniqueUsers());
        assertFalse(provisional.finalResult());

        p0.add(click("a", "other", 100)); // partition 0 is past 01:10, partition 1 is not
        p0.drain().forEach(u -> stage2.apply(u));
        stage2.watermark(0, p0.watermark(), false);
        assertTrue(stage2.drain().stream().noneMatch(r -> r.pageId().equals("home")));

        stage2.watermark(1, BASE.plusSeconds(80), false);
        WindowTotals.Result fin = stage2.drain().stream().filter(r -> r.pageId().equals("home")).findFirst()
                .orElseThrow();
        assertTrue(fin.finalResult());
        assertEquals(3, fin.views());
        assertTrue(fin.version() > provisional.version());
    }

    @Test
    void anIdlePartitionStopsHoldingTheWatermarkBackButASilentOneDoesNot() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE_FINAL), 2, Duration.ofHours(1));
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE_FINAL), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p0.add(click("a", "home", 70));
        p0.drain().forEach(stage2::apply);
        stage2.watermark(0, p0.watermark(), false);
        assertTrue(stage2.drain().isEmpty(), "partition 1 has said nothing (its consumer may be down): not final");
        stage2.watermark(1, null, true);
        List<WindowTotals.Result> afterIdle = stage2.drain();
        assertEquals(1, afterIdle.size(), "partition 1 says it is idle: the window is final");
        assertTrue(afterIdle.get(0).finalResult());
        assertEquals(1, afterIdle.get(0).views());
    }

    @Test
    void aPartialPastItsWindowsRetentionIsDroppedNotATotal() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 1, Duration.ofMinutes(10));
        stage2.watermark(0, BASE.plus(Duration.ofHours(1)), false);
        PartialWindows.Update stale = new PartialWindows.Update(0, "home", MINUTE.windowsOf(BASE).get(0), 5, 3,
                "exact", 0, java.math.BigDecimal.ZERO, 9);
        assertFalse(stage2.apply(stale));
        assertTrue(stage2.drain().isEmpty());
    }

    @Test
    void aWindowIsFinalOnceAndForgottenAfterItsRetentionAlsoWhenTheWatermarkGoesBack() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE_FINAL), 2, Duration.ofMinutes(10));
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE_FINAL), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p0.add(click("a", "next", 70));
        p0.drain().forEach(stage2::apply);
        p0.flush().forEach(stage2::apply);
        stage2.watermark(0, BASE.plusSeconds(70), false);
        stage2.watermark(1, BASE.plusSeconds(5), true); // idle: partition 0 alone holds the watermark
        List<WindowTotals.Result> first = stage2.drain();
        assertEquals(List.of("home"), first.stream().map(WindowTotals.Result::pageId).toList());
        assertTrue(first.get(0).finalResult());
        assertEquals(2, stage2.heldWindows());

        stage2.watermark(1, BASE.plusSeconds(5), false); // active again, behind: the watermark goes back
        assertTrue(stage2.drain().isEmpty(), "nothing is final again, nothing new is final");
        stage2.watermark(1, BASE.plusSeconds(70), false);
        assertTrue(stage2.drain().isEmpty(), "home was sent final once already");

        stage2.watermark(0, BASE.plusSeconds(60 + 10 * 60), false);
        stage2.watermark(1, BASE.plusSeconds(60 + 10 * 60), false);
        List<WindowTotals.Result> later = stage2.drain();
        assertEquals(List.of("next"), later.stream().map(WindowTotals.Result::pageId).toList());
        assertEquals(1, stage2.heldWindows(), "home is past its retention and forgotten; next is kept");
    }

    @Test
    void finalOnlyWindowsAreSuppressedUntilFinal() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE_FINAL), 1, Duration.ofHours(1));
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE_FINAL), Duration.ZERO, 100);
        p0.add(click("a", "home", 10));
        p0.drain().forEach(u -> stage2.apply(u));
        stage2.watermark(0, p0.watermark(), false);
        assertTrue(stage2.drain().isEmpty());
        p0.add(click("a", "home", 61));
        p0.drain().forEach(u -> stage2.apply(u));
        stage2.watermark(0, p0.watermark(), false);
        List<WindowTotals.Result> results = stage2.drain();
        assertEquals(1, results.size());
        assertTrue(results.get(0).finalResult());
    }

    @Test
    void aRepeatedOrOlderPartialChangesNothing() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 1, Duration.ofHours(1));
        PartialWindows.Update v2 = new PartialWindows.Update(0, "home", MINUTE.windowsOf(BASE).get(0), 5, 3,
                "exact", 0, java.math.BigDecimal.ZERO, 2);
        PartialWindows.Update v1 = new PartialWindows.Update(0, "home", MINUTE.windowsOf(BASE).get(0), 4, 2,
                "exact", 0, java.math.BigDecimal.ZERO, 1);
        stage2.apply(v2);
        stage2.watermark(0, BASE, false);
        assertEquals(5, stage2.drain().get(0).views());
        stage2.apply(v1);
        stage2.apply(v2);
        assertTrue(stage2.drain().isEmpty());
    }

    @Test
    void theSumOfValuesAddsUpExactlyAcrossPartitions() {
        WindowTotals stage2 = new WindowTotals(List.of(MINUTE), 2, Duration.ofHours(1));
        PartialWindows p0 = new PartialWindows(0, List.of(MINUTE), Duration.ZERO, 100);
        PartialWindows p1 = new PartialWindows(1, List.of(MINUTE), Duration.ZERO, 100);
        for (double value : new double[] {0.1, 0.2, 0.3}) {
            Instant time = BASE.plusSeconds(5);
            p0.add(new ClickEvent("a" + value, "a", "cart", "buy", time, null, time, value, null));
            p1.add(new ClickEvent("b" + value, "b", "cart", "buy", time, null, time, value, null));
        }
        p1.add(click("c", "cart", 6)); // no value: counts as a view, adds nothing to the sum
        p0.drain().forEach(stage2::apply);
        p1.drain().forEach(stage2::apply);
        stage2.watermark(0, p0.watermark(), false);
        stage2.watermark(1, p1.watermark(), false);
        WindowTotals.Result result = stage2.drain().get(0);
        assertEquals(7, result.views());
        assertEquals(new java.math.BigDecimal("1.2"), result.valueSum(), "exact, unlike 0.1 + 0.2 + ... in doubles");
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

    @Test
    void aSessionExtendedAfterItWasDueWaitsForItsNewEndAndKeepsEachPageOnce() {
        SessionWindows sessions = new SessionWindows(WindowSpec.session("session", Duration.ofMinutes(5),
                Duration.ZERO));
        List<String> pages = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) { // more pages than a session scans: they are indexed
            String page = "page-" + (char) ('a' + i % 26) + i;
            pages.add(page);
            sessions.add(click("a", page, i), null);
            sessions.add(click("a", page, i), null); // the same page again counts as an event, not a page
        }
        sessions.add(click("b", "home", 0), null);
        // "a" was first due at 5 minutes after its first event; its last one moved that to 5 minutes after 39 s
        List<SessionWindows.Session> first = sessions.complete(BASE.plusSeconds(300));
        assertEquals(List.of("b"), first.stream().map(SessionWindows.Session::userId).toList());
        assertEquals(1, sessions.openSessions());
        assertEquals(List.of(), sessions.complete(BASE.plusSeconds(338)));
        List<SessionWindows.Session> second = sessions.complete(BASE.plusSeconds(339));
        assertEquals(1, second.size());
        assertEquals(80, second.get(0).events());
        assertEquals(pages.stream().sorted().toList(), second.get(0).pages());
        assertEquals(BASE.plusSeconds(39), second.get(0).end());
        assertEquals(0, sessions.openSessions());
    }

    @Test
    void aSessionRestoredFromItsCheckpointDecidesAsTheLiveOneAtSubMillisecondTimes() throws java.io.IOException {
        WindowSpec spec = WindowSpec.session("session", Duration.ofMinutes(30), Duration.ZERO);
        SessionWindows live = new SessionWindows(spec);
        Instant first = BASE.plusNanos(400_000); // 0.4 ms past the second
        live.add(new ClickEvent("e1", "a", "home", "view", first, null, first, null, null), null);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        live.writeTo(new java.io.DataOutputStream(bytes));
        SessionWindows restored = new SessionWindows(spec);
        restored.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
        // 0.2 ms short of the gap after the first event at full precision, but not after its millisecond
        Instant second = first.plus(Duration.ofMinutes(30)).minusNanos(200_000);
        for (SessionWindows sessions : List.of(live, restored)) {
            sessions.add(new ClickEvent("e2", "a", "cart", "view", second, null, second, null, null), null);
        }
        Instant later = BASE.plus(Duration.ofHours(2));
        assertEquals(live.complete(later), restored.complete(later));
    }

    @Test
    void anIndexedGroupLetsItsClosedWindowsGoAndKeepsCountingTheOpenOnes() {
        // 120 windows per event, closing one a second as the events go on: the group stays indexed
        WindowSpec sliding = new WindowSpec("sliding", WindowSpec.Kind.SLIDING, Duration.ofMinutes(2),
                Duration.ofSeconds(1), null, Duration.ZERO, WindowSpec.EmitPolicy.ON_UPDATE, null);
        PartialWindows windows = new PartialWindows(0, List.of(sliding), Duration.ZERO, 100);
        for (int at = 0; at < 300; at++) {
            windows.add(click("u" + at % 7, "home", at));
            windows.drain();
        }
        // open: the windows that end after 299 s (the watermark), each starting one of the last 120 seconds
        assertEquals(120, windows.openWindows());
        List<PartialWindows.Update> open = windows.flush();
        for (PartialWindows.Update update : open) {
            long from = update.window().start().getEpochSecond() - BASE.getEpochSecond();
            assertEquals(Math.min(299, from + 119) - Math.max(0, from) + 1, update.views(), update.window().toString());
        }
    }

    @Test
    void aSlidingWindowCountsEachOfItsManyWindows() throws java.io.IOException {
        // 60 windows per event: a page's partials outgrow the scan and are indexed
        WindowSpec sliding = new WindowSpec("sliding", WindowSpec.Kind.SLIDING, Duration.ofMinutes(1),
                Duration.ofSeconds(1), null, Duration.ofHours(1), WindowSpec.EmitPolicy.ON_UPDATE, null);
        PartialWindows live = new PartialWindows(0, List.of(sliding), Duration.ZERO, 100);
        java.util.Random random = new java.util.Random(3);
        List<Integer> seconds = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int at = random.nextInt(180);
            seconds.add(at);
            live.add(click("u" + random.nextInt(20), "home", at));
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        live.writeTo(new java.io.DataOutputStream(bytes));
        PartialWindows restored = new PartialWindows(0, List.of(sliding), Duration.ZERO, 100);
        restored.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
        for (PartialWindows windows : List.of(live, restored)) {
            List<PartialWindows.Update> updates = windows.flush();
            long holding = java.util.stream.IntStream.range(-59, 180)
                    .filter(from -> seconds.stream().anyMatch(s -> s >= from && s < from + 60)).count();
            assertEquals(holding, updates.size(), "a window for each second that starts one holding an event");
            for (PartialWindows.Update update : updates) {
                long from = update.window().start().getEpochSecond() - BASE.getEpochSecond();
                long expected = seconds.stream().filter(s -> s >= from && s < from + 60).count();
                assertEquals(expected, update.views(), update.window().toString());
            }
        }
    }
}
