package dev.tally.view.domain;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LambdaMergeTest {
    private static final LocalDate D1 = LocalDate.parse("2026-07-01");
    private static final LocalDate D2 = D1.plusDays(1);
    private static final LocalDate D3 = D1.plusDays(2);

    @Test
    void aDayIsCoveredWhenItEndsAtOrBeforeCompleteUntil() {
        Instant midnight = Instant.parse("2026-07-03T00:00:00Z");
        assertTrue(LambdaMerge.covered(D2, midnight));
        assertFalse(LambdaMerge.covered(D3, midnight));
        assertFalse(LambdaMerge.covered(D2, midnight.minusNanos(1)));
        assertTrue(LambdaMerge.covered(D2, Instant.parse("2026-07-03T23:59:59Z")));
        assertFalse(LambdaMerge.covered(D3, Instant.parse("2026-07-03T23:59:59Z")));
        assertFalse(LambdaMerge.covered(D1, null));
        assertEquals(D2, LambdaMerge.lastCoveredDay(midnight));
        assertEquals(D2, LambdaMerge.lastCoveredDay(Instant.parse("2026-07-03T23:59:59Z")));
        assertNull(LambdaMerge.lastCoveredDay(null));
    }

    @Test
    void coveredDaysComeFromTheBatchAndTheRestFromTheSpeedLayer() {
        Map<LocalDate, DayCounts> batch = Map.of(
                D1, new DayCounts(D1, 10, 5, true),
                D3, new DayCounts(D3, 99, 9, true)); // a partial day of the run: not covered, not served
        Map<LocalDate, DayCounts> speed = Map.of(
                D1, new DayCounts(D1, 11, 5, true),
                D2, new DayCounts(D2, 20, 8, true), // covered but no batch row: no views up to the horizon
                D3, new DayCounts(D3, 30, 7, false));
        List<ServedDay> days = LambdaMerge.merge(D1, D3.plusDays(1), Instant.parse("2026-07-03T00:00:00Z"), batch,
                speed);
        assertEquals(List.of(new ServedDay(D1, 10, 5, Layer.BATCH, true),
                new ServedDay(D3, 30, 7, Layer.SPEED, false)), days);
    }

    @Test
    void withoutABatchRunEverythingIsSpeed() {
        Map<LocalDate, DayCounts> speed = Map.of(D2, new DayCounts(D2, 20, 8, true));
        assertEquals(List.of(new ServedDay(D2, 20, 8, Layer.SPEED, true)),
                LambdaMerge.merge(D1, D3, null, Map.of(), speed));
    }
}
