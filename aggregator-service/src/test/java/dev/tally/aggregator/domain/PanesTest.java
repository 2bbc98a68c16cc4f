package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A final-only hopping definition counted in panes gives each window what a partial per window gives it (the
 * on-update definition of the same windows, whose last update of a window is its whole total), late events and
 * early flushes included; and a checkpoint with whole windows' partials, written before panes, goes on in panes.
 */
class PanesTest {
    private static final Instant BASE = Instant.parse("2026-11-23T10:00:00Z");
    private static final Duration SIZE = Duration.ofMinutes(5);
    private static final Duration ADVANCE = Duration.ofMinutes(1);
    private static final WindowSpec PANED = WindowSpec.hopping("five", SIZE, ADVANCE, Duration.ofSeconds(20),
            WindowSpec.EmitPolicy.FINAL);
    /** The same windows, one partial each, sent at every batch. */
    private static final WindowSpec PER_WINDOW = WindowSpec.hopping("five", SIZE, ADVANCE, Duration.ofSeconds(20),
            WindowSpec.EmitPolicy.ON_UPDATE);

    private static ClickEvent click(String id, String user, String page, int seconds, Double value) {
        Instant time = BASE.plusSeconds(seconds);
        return new ClickEvent(id, user, page, "view", time, null, time, value, null);
    }

    /** The last update of every window: views, users, sum of values and version. */
    private static void keepLast(Map<String, PartialWindows.Update> last, List<PartialWindows.Update> updates) {
        for (PartialWindows.Update update : updates) {
            String key = update.pageId() + " " + update.window();
            PartialWindows.Update before = last.get(key);
            assertTrue(before == null || update.version() > before.version(), "versions grow: " + update);
            last.put(key, update);
        }
    }

    private static String totals(PartialWindows.Update update) {
        return update.views() + " views, " + update.uniqueUsers() + " " + update.method() + ", sum "
                + update.valueSum().stripTrailingZeros().toPlainString();
    }

    @Test
    void panesGiveEveryWindowWhatAPartialPerWindowGivesIt() {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            PartialWindows panes = new PartialWindows(0, List.of(PANED), Duration.ofSeconds(30), 12);
            PartialWindows windows = new PartialWindows(0, List.of(PER_WINDOW), Duration.ofSeconds(30), 12);
            Map<String, PartialWindows.Update> fromPanes = new HashMap<>();
            Map<String, PartialWindows.Update> fromWindows = new HashMap<>();
            int second = 0;
            int id = 0;
            for (int batch = 0; batch < 60; batch++) {
                int size = 1 + random.nextInt(30);
                for (int i = 0; i < size; i++) {
                    second += random.nextInt(6);
                    // mostly in order, some out of order within the bound, some past it (late for some windows)
                    int at = random.nextInt(8) == 0 ? second - random.nextInt(200) : second;
                    ClickEvent event = click("e" + id++, "u" + random.nextInt(25), "p" + random.nextInt(3),
                            Math.max(0, at), random.nextBoolean() ? null : (double) random.nextInt(50) / 4);
                    assertEquals(windows.add(event).map(PartialWindows.Late::missed),
                            panes.add(event).map(PartialWindows.Late::missed), "the same windows missed");
                }
                if (random.nextInt(7) == 0) { // the partition goes quiet: everything pending is sent early
                    keepLast(fromPanes, panes.flush());
                    keepLast(fromWindows, windows.flush());
                } else {
                    keepLast(fromPanes, panes.drain());
                    keepLast(fromWindows, windows.drain());
                }
            }
            keepLast(fromPanes, panes.flush());
            keepLast(fromWindows, windows.flush());
            assertEquals(fromWindows.keySet(), fromPanes.keySet(), "seed " + seed);
            for (String key : fromWindows.keySet()) {
                assertEquals(totals(fromWindows.get(key)), totals(fromPanes.get(key)), "seed " + seed + ": " + key);
            }
        }
    }

    @Test
    void windowsCountedAheadOfTheirCloseGetWhatTheCloseWouldCount() {
        for (long seed = 1; seed <= 30; seed++) {
            Random random = new Random(seed);
            PartialWindows ahead = new PartialWindows(0, List.of(PANED), Duration.ofSeconds(30), 12);
            PartialWindows atClose = new PartialWindows(0, List.of(PANED), Duration.ofSeconds(30), 12);
            ahead.countAheadPerDrain(1 + random.nextInt(4)); // a few a batch: some wait for the next batches
            atClose.countAheadPerDrain(0);
            int second = 0;
            int id = 0;
            for (int batch = 0; batch < 80; batch++) {
                int size = 1 + random.nextInt(12);
                for (int i = 0; i < size; i++) {
                    second += random.nextInt(4);
                    // some late for the windows counted ahead, but within their grace
                    int at = random.nextInt(5) == 0 ? second - random.nextInt(90) : second;
                    ClickEvent event = click("e" + id++, "u" + random.nextInt(20), "p" + random.nextInt(3),
                            Math.max(0, at), null);
                    ahead.add(event);
                    atClose.add(event);
                }
                boolean flush = random.nextInt(9) == 0;
                assertEquals(flush ? atClose.flush() : atClose.drain(), flush ? ahead.flush() : ahead.drain(),
                        "seed " + seed + ", batch " + batch);
            }
            assertTrue(ahead.closesCountedAhead() > 0, "seed " + seed + ": some closes used a count made ahead");
            assertEquals(0, atClose.closesCountedAhead());
        }
    }

    @Test
    void aCountMadeAheadIsForgottenWhenTheStateIsRestoredInPlace() throws IOException {
        // a failed attempt restores the partition's state into the same object, and the batch is read again
        for (int perDrain : new int[] {0, PartialWindows.COUNT_AHEAD_PER_DRAIN}) {
            PartialWindows panes = new PartialWindows(0, List.of(PANED), Duration.ZERO, 100);
            panes.countAheadPerDrain(perDrain);
            panes.add(click("a", "u1", "home", 30, null));             // 10:00:30
            panes.drain();
            ByteArrayOutputStream committed = new ByteArrayOutputStream();
            panes.writeTo(new DataOutputStream(committed));
            panes.checkpointed();
            // the attempt: u2 at 10:04:50, then 10:05:10 passes the end of [10:00, 10:05), counted ahead with u2
            panes.add(click("b", "u2", "home", 290, null));
            panes.add(click("c", "u3", "home", 310, null));
            panes.drain();
            // it fails: back to the committed state, and this time the window closes without u2
            panes.readFrom(new DataInputStream(new ByteArrayInputStream(committed.toByteArray())));
            panes.add(click("d", "u4", "home", 360, null));            // 10:06 closes [10:00, 10:05)
            PartialWindows.Update closed = panes.drain().stream()
                    .filter(update -> update.window().start().equals(BASE)).findFirst().orElseThrow();
            assertEquals("1 views, 1 exact, sum 0", totals(closed), "counted ahead " + perDrain + " a batch");
        }
    }

    @Test
    void aWindowCountedAheadIsCountedAgainAtItsCloseIfALateEventChangedIt() {
        for (int perDrain : new int[] {0, PartialWindows.COUNT_AHEAD_PER_DRAIN}) {
            PartialWindows panes = new PartialWindows(0, List.of(PANED), Duration.ZERO, 100);
            panes.countAheadPerDrain(perDrain);
            panes.add(click("a", "u1", "home", 30, null));             // 10:00:30
            panes.drain();
            panes.add(click("b", "u1", "home", 310, null));            // 10:05:10: [10:00, 10:05) ended, 20 s grace
            panes.drain();                                             // counts [10:00, 10:05) ahead: u1
            assertTrue(panes.add(click("c", "u2", "home", 290, null)).isEmpty(), "10:04:50 is within the grace");
            panes.drain();
            panes.add(click("d", "u3", "home", 360, null));            // 10:06 closes [10:00, 10:05)
            PartialWindows.Update closed = panes.drain().stream()
                    .filter(update -> update.window().start().equals(BASE)).findFirst().orElseThrow();
            assertEquals("2 views, 2 exact, sum 0", totals(closed), "counted ahead " + perDrain + " a batch");
            assertEquals(0, panes.closesCountedAhead(), "the late event made the close count again");
        }
    }

    @Test
    void anEventLateForAWindowClosedEarlierInTheSameBatchStaysOutOfItAndGoesIntoTheOpenOnes() {
        WindowSpec noGrace = WindowSpec.hopping("five", SIZE, ADVANCE, Duration.ZERO, WindowSpec.EmitPolicy.FINAL);
        PartialWindows panes = new PartialWindows(0, List.of(noGrace), Duration.ZERO, 100);
        panes.add(click("a", "u1", "home", 30, null));                 // 10:00:30, in the windows from 09:56
        panes.drain();
        panes.add(click("b", "u2", "home", 330, null));                // 10:05:30 closes [10:00, 10:05)
        PartialWindows.Late late = panes.add(click("c", "u3", "home", 250, null)).orElseThrow(); // 10:04:10
        assertEquals(List.of(new Window("five", BASE, BASE.plus(SIZE))), late.missed());
        Map<Instant, PartialWindows.Update> sent = new HashMap<>();
        panes.drain().forEach(update -> sent.put(update.window().start(), update));
        assertEquals(5, sent.size(), "the windows from 09:56 to 10:00 closed at 10:05:30");
        sent.values().forEach(update -> assertEquals(1, update.views(), "a alone: " + update.window()));
        panes.add(click("d", "u4", "home", 600, null));                // 10:10 closes the windows up to 10:05
        sent.clear();
        panes.drain().forEach(update -> sent.put(update.window().start(), update));
        assertEquals(5, sent.size());
        for (int minute = 1; minute <= 4; minute++) {
            assertEquals(2, sent.get(BASE.plus(ADVANCE.multipliedBy(minute))).views(), "b and c from 10:0" + minute);
        }
        assertEquals(1, sent.get(BASE.plus(SIZE)).views(), "[10:05, 10:10): b alone");
    }

    @Test
    void aWindowSentEarlyIsSentAgainAtItsCloseOnlyIfItChanged() {
        PartialWindows panes = new PartialWindows(0, List.of(PANED), Duration.ZERO, 100);
        panes.add(click("a", "u1", "home", 30, 1.5));
        List<PartialWindows.Update> early = panes.flush();
        assertEquals(5, early.size(), "every window that holds 10:00:30");
        early.forEach(update -> assertEquals(1, update.version()));
        assertFalse(panes.pending());
        panes.add(click("b", "u2", "home", 90, 2.0));                  // 10:01:30: in four of the five
        assertTrue(panes.pending());
        panes.add(click("c", "u1", "home", 700, null));                // closes every window of a and b
        Map<Instant, PartialWindows.Update> closed = new HashMap<>();
        panes.drain().forEach(update -> closed.put(update.window().start(), update));
        assertNull(closed.get(BASE.minus(SIZE).plus(ADVANCE)), "[09:56, 10:01) was sent early and did not change");
        PartialWindows.Update changed = closed.get(BASE);
        assertEquals(2, changed.version(), "sent early, then at its close with b");
        assertEquals("2 views, 2 exact, sum 3.5", totals(changed));
        assertEquals(1, closed.get(BASE.plus(ADVANCE)).version(), "[10:01, 10:06) holds b alone, never sent");
    }

    @Test
    void windowsFromACheckpointBeforePanesAreAddedToTheirPanes() throws IOException {
        // a build before panes kept a partial per window of this definition, with the bytes of an on-update one
        PartialWindows before = new PartialWindows(0, List.of(PER_WINDOW), Duration.ZERO, 100);
        PartialWindows reference = new PartialWindows(0, List.of(PER_WINDOW), Duration.ZERO, 100);
        // none of their windows closed yet: the partials were never sent
        List<ClickEvent> first = List.of(click("a", "u1", "home", 30, 1.0), click("b", "u2", "home", 50, 2.0),
                click("c", "u1", "home", 60, null));
        List<ClickEvent> then = List.of(click("d", "u1", "home", 230, 4.0), click("e", "u3", "home", 260, null),
                click("f", "u4", "home", 330, null), click("g", "u5", "home", 1000, null));
        first.forEach(before::add);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        before.writeTo(new DataOutputStream(bytes));

        PartialWindows restored = new PartialWindows(0, List.of(PANED), Duration.ZERO, 100);
        restored.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertTrue(restored.pending(), "the windows' partials were never sent");
        Map<String, PartialWindows.Update> fromPanes = new HashMap<>();
        then.forEach(restored::add);
        keepLast(fromPanes, restored.drain());
        keepLast(fromPanes, restored.flush()); // and the windows still open
        Map<String, PartialWindows.Update> expected = new HashMap<>();
        first.forEach(reference::add);
        then.forEach(reference::add);
        keepLast(expected, reference.drain());
        assertEquals(new java.util.TreeSet<>(expected.keySet()), new java.util.TreeSet<>(fromPanes.keySet()));
        expected.forEach((key, update) -> assertEquals(totals(update), totals(fromPanes.get(key)), key));
        assertEquals("4 views, 2 exact, sum 7", totals(fromPanes.get("home " + new Window("five",
                BASE.minus(ADVANCE), BASE.plus(SIZE).minus(ADVANCE)))), "a, b and c before, d after: u1 once");
    }
}
