package dev.tally.view.domain;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RunChoiceTest {
    private static final Instant T = Instant.parse("2026-07-01T00:00:00Z");

    @Test
    void theNewestCompleteRunIsServed() {
        EndedRun old = new EndedRun("old", T, 1, true);
        EndedRun newer = new EndedRun("newer", T.plusSeconds(3600), 2, true);
        EndedRun newestButIncomplete = new EndedRun("incomplete", T.plusSeconds(7200), 3, false);
        EndedRun arrivedLastButOlder = new EndedRun("late", T.minusSeconds(60), 4, false);
        List<EndedRun> runs = List.of(old, newer, newestButIncomplete, arrivedLastButOlder);

        assertEquals(Optional.of(newer), RunChoice.served(runs));
        // the incomplete newer run may still win later; the older ones never can
        assertEquals(List.of(old, arrivedLastButOlder), RunChoice.outdated(runs, newer));
    }

    @Test
    void betweenRunsCompleteUntilTheSameInstantTheLaterArrivalWins() {
        EndedRun first = new EndedRun("first", T, 7, true);
        EndedRun second = new EndedRun("second", T, 8, true);
        assertEquals(Optional.of(second), RunChoice.served(List.of(second, first)));
        assertEquals(List.of(first), RunChoice.outdated(List.of(first, second), second));
    }

    @Test
    void nothingIsServedUntilARunIsComplete() {
        assertEquals(Optional.empty(), RunChoice.served(List.of(new EndedRun("r", T, 1, false))));
    }
}
