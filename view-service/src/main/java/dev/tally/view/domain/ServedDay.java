package dev.tally.view.domain;

import java.time.LocalDate;

/** One day of a page as the summary answers it: its figures, the layer they come from, and whether they are final. */
public record ServedDay(LocalDate date, long views, long uniqueUsers, Layer layer, boolean isFinal) {
}
