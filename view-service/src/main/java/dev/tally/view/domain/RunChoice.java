package dev.tally.view.domain;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which batch run readers are served: the newest complete run, newest by {@code complete_until} and, between runs
 * complete up to the same instant, by the arrival of their run-end records. A pure function of the runs seen, so
 * that applying the same records again, in any interleaving of partitions, chooses the same run.
 */
public final class RunChoice {
    /** Oldest first: by {@code complete_until}, then by arrival of the run end. */
    public static final Comparator<EndedRun> AGE = Comparator.comparing(EndedRun::completeUntil)
            .thenComparingLong(EndedRun::endSeq);

    /** The run to serve among {@code ended}: the newest complete one, if any. */
    public static Optional<EndedRun> served(Collection<EndedRun> ended) {
        return ended.stream().filter(EndedRun::complete).max(AGE);
    }

    /**
     * The runs that can never be served again once {@code served} is: every other run older than it, complete or
     * not (an older run that completes later still loses to {@code served}).
     */
    public static List<EndedRun> outdated(Collection<EndedRun> ended, EndedRun served) {
        return ended.stream().filter(run -> !run.runId().equals(served.runId()) && AGE.compare(run, served) < 0)
                .toList();
    }

    private RunChoice() {
    }
}
