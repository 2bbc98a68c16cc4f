package dev.tally.view.domain;

/**
 * The arithmetic of reconciliation, shared by the per-key and the total figures so that both read the same way:
 * the batch view is the reference (it is recomputed from the log), a key missing from a layer counts as zero in
 * it, and the relative error is the absolute difference over the batch figure.
 */
public final class Drift {

    /**
     * {@code |speed - batch| / batch}; 0 when both are 0; NaN when the batch figure is 0 and the speed figure is not
     * (no finite relative error describes it: read the absolute difference).
     */
    public static double relativeError(long absoluteDifference, long batch) {
        if (absoluteDifference == 0) {
            return 0.0;
        }
        return batch == 0 ? Double.NaN : (double) absoluteDifference / batch;
    }

    /** {@code speed - batch}, a missing figure counting as 0: positive when the speed layer counted more. */
    public static long difference(Long batch, Long speed) {
        return (speed == null ? 0 : speed) - (batch == null ? 0 : batch);
    }

    private Drift() {
    }
}
