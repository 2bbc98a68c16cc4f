package dev.tally.view.store;

import java.util.EnumMap;
import java.util.Map;

/**
 * What applying one poll of {@code page-summaries} records did.
 *
 * @param counts     how many records had each outcome
 * @param switchedTo the run served from now on, if the served run changed in the same transaction; else null
 */
public record BatchApply(Map<Outcome, Long> counts, String switchedTo) {

    public BatchApply {
        counts = Map.copyOf(counts);
    }

    /** How many records had {@code outcome}. */
    public long count(Outcome outcome) {
        return counts.getOrDefault(outcome, 0L);
    }

    /** Counts outcomes while a poll is applied. */
    static final class Tally {
        private final Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);

        void add(Outcome outcome, long n) {
            if (n > 0) {
                counts.merge(outcome, n, Long::sum);
            }
        }

        long get(Outcome outcome) {
            return counts.getOrDefault(outcome, 0L);
        }

        BatchApply result(String switchedTo) {
            return new BatchApply(counts, switchedTo);
        }
    }

    /** The kinds of change; their labels are the values of the metric tag {@code outcome}. */
    public enum Outcome {
        ROW_STORED("row"),
        ROW_REPEATED("row-repeated"),
        RUN_ENDED("run-end"),
        RUN_END_REPEATED("run-end-repeated"),
        RETIRED_RUN("retired-run");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
