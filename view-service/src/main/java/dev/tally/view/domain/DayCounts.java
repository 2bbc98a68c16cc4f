package dev.tally.view.domain;

import java.time.LocalDate;

/** The views and unique users of one page on one UTC day, from one layer, and whether they can still change. */
public record DayCounts(LocalDate date, long views, long uniqueUsers, boolean isFinal) {
}
