package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowSpecTest {
    private static final Instant T = Instant.parse("2026-11-23T10:07:30Z");

    @Test
    void aTumblingWindowIsAlignedToTheEpoch() {
        WindowSpec minute = WindowSpec.tumbling("minute", Duration.ofMinutes(1), Duration.ZERO, null);
        assertEquals(List.of(new Window("minute", Instant.parse("2026-11-23T10:07:00Z"),
                Instant.parse("2026-11-23T10:08:00Z"))), minute.windowsOf(T));
        // the end is exclusive
        assertEquals(Instant.parse("2026-11-23T10:08:00Z"),
                minute.windowsOf(Instant.parse("2026-11-23T10:08:00Z")).get(0).start());
    }

    @Test
    void aHoppingWindowHoldsAnEventInSizeOverAdvanceWindows() {
        WindowSpec hopping = WindowSpec.hopping("5m", Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ZERO,
                null);
        List<Window> windows = hopping.windowsOf(T);
        assertEquals(5, windows.size());
        assertEquals(Instant.parse("2026-11-23T10:03:00Z"), windows.get(0).start());
        assertEquals(Instant.parse("2026-11-23T10:07:00Z"), windows.get(4).start());
        windows.forEach(w -> assertTrue(!T.isBefore(w.start()) && T.isBefore(w.end()), w.toString()));
    }

    @Test
    void aSlidingWindowSlidesAtItsResolution() {
        WindowSpec sliding = new WindowSpec("last-10s", WindowSpec.Kind.SLIDING, Duration.ofSeconds(10), null, null,
                null, null, null);
        assertEquals(Duration.ofSeconds(1), sliding.advance());
        assertEquals(10, sliding.windowsOf(T).size());
    }

    @Test
    void aWindowClosesWhenTheWatermarkPassesItsEndPlusGrace() {
        WindowSpec minute = WindowSpec.tumbling("minute", Duration.ofMinutes(1), Duration.ofSeconds(10), null);
        Window window = minute.windowsOf(T).get(0);
        assertFalse(minute.closed(window, null));
        assertFalse(minute.closed(window, Instant.parse("2026-11-23T10:08:09Z")));
        assertTrue(minute.closed(window, Instant.parse("2026-11-23T10:08:10Z")));
    }

    @Test
    void durationsInDaysAreWrittenInDays() {
        assertEquals("P1D", WindowSpec.iso(Duration.ofDays(1)));
        assertEquals("PT1M", WindowSpec.iso(Duration.ofMinutes(1)));
        assertEquals("PT36H", WindowSpec.iso(Duration.ofHours(36)));
    }

    @Test
    void badDefinitionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.hopping("h", Duration.ofMinutes(5),
                Duration.ofMinutes(2), null, null));
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.tumbling("t", Duration.ZERO, null, null));
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.session("s", Duration.ZERO, null));
        assertThrows(IllegalArgumentException.class, () -> WindowSpec.tumbling("t", Duration.ofMinutes(1),
                Duration.ofSeconds(-1), null));
    }
}
