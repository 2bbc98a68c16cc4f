package dev.tally.view.domain;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DriftTest {
    private static final LocalDate DAY = LocalDate.parse("2026-07-01");

    @Test
    void theBatchFigureIsTheReference() {
        KeyDrift key = new KeyDrift("p", DAY, 50L, 20L, 47L, 21L, true);
        assertEquals(-3, key.viewsDifference());
        assertEquals(0.06, key.viewsRelativeError(), 1e-12);
        assertEquals(1, key.uniqueUsersDifference());
        assertEquals(0.05, key.uniqueUsersRelativeError(), 1e-12);
        assertFalse(key.agrees());
        assertTrue(new KeyDrift("p", DAY, 5L, 2L, 5L, 2L, false).agrees());
    }

    @Test
    void aKeyMissingFromALayerCountsAsZeroThere() {
        KeyDrift onlyBatch = new KeyDrift("p", DAY, 30L, 10L, null, null, null);
        assertEquals(-30, onlyBatch.viewsDifference());
        assertEquals(1.0, onlyBatch.viewsRelativeError());
        KeyDrift onlySpeed = new KeyDrift("p", DAY, null, null, 5L, 2L, false);
        assertEquals(5, onlySpeed.viewsDifference());
        assertTrue(Double.isNaN(onlySpeed.viewsRelativeError()));
        assertFalse(onlySpeed.agrees());
    }

    @Test
    void totalsRelateTheSummedAbsoluteDifferenceToTheBatchTotal() {
        DriftTotals totals = new DriftTotals(2, 1, 1, 1, 180, 152, 38, 70, 63, 13);
        assertEquals(38.0 / 180, totals.viewsRelativeError(), 1e-12);
        assertEquals(13.0 / 70, totals.uniqueUsersRelativeError(), 1e-12);
        assertEquals(0.0, DriftTotals.NONE.viewsRelativeError());
    }
}
