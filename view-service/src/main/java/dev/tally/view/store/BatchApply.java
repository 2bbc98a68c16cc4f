package dev.tally.view.store;

/**
 * What applying one {@code page-summaries} record did.
 *
 * @param outcome  which kind of change, if any
 * @param switched true if the served run changed in the same transaction
 */
public record BatchApply(Outcome outcome, boolean switched) {

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
