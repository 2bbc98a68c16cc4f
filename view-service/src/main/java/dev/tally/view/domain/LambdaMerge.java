package dev.tally.view.domain;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lambda serving: a day that the served batch run covers completely comes from the batch view, every other day
 * from the speed layer. A covered day without a batch row had no views up to the horizon, so it is left out even
 * if the speed layer has it: the batch view is the system of record's answer, and reconciliation reports the
 * disagreement.
 */
public final class LambdaMerge {

    /**
     * The last day a run complete until {@code completeUntil} covers (a day is covered when it ends at or before
     * that instant), or null when there is no run.
     */
    public static LocalDate lastCoveredDay(Instant completeUntil) {
        return completeUntil == null ? null : LocalDate.ofInstant(completeUntil, ZoneOffset.UTC).minusDays(1);
    }

    /** Whether {@code day} (a UTC day) ends at or before {@code completeUntil}. */
    public static boolean covered(LocalDate day, Instant completeUntil) {
        return completeUntil != null
                && !day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().isAfter(completeUntil);
    }

    /**
     * The days from {@code from} to {@code to} (both included) that have figures, oldest first.
     *
     * @param completeUntil the served run's {@code complete_until}, or null when no run is served
     * @param batch         the served run's rows, by day
     * @param speed         the speed layer's 1-day windows, by day
     */
    public static List<ServedDay> merge(LocalDate from, LocalDate to, Instant completeUntil,
                                        Map<LocalDate, DayCounts> batch, Map<LocalDate, DayCounts> speed) {
        List<ServedDay> days = new ArrayList<>();
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            if (covered(day, completeUntil)) {
                DayCounts row = batch.get(day);
                if (row != null) {
                    days.add(new ServedDay(day, row.views(), row.uniqueUsers(), Layer.BATCH, true));
                }
            } else {
                DayCounts window = speed.get(day);
                if (window != null) {
                    days.add(new ServedDay(day, window.views(), window.uniqueUsers(), Layer.SPEED, window.isFinal()));
                }
            }
        }
        return days;
    }

    private LambdaMerge() {
    }
}
