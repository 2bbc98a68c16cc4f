package dev.tally.view.domain;

/** Where a served day's figures come from. */
public enum Layer {
    /** The batch view: recomputed from the log up to a run's horizon, exact and final. */
    BATCH("batch"),
    /** The speed layer: the stream's 1-day window, final only once the aggregator says so. */
    SPEED("speed");

    private final String label;

    Layer(String label) {
        this.label = label;
    }

    /** The name in JSON answers and metric tags. */
    public String label() {
        return label;
    }
}
