package dev.tally.view.domain;

/**
 * The drift between the layers over every key in scope. A key only one layer has counts as 0 in the other, so
 * that a day the speed layer missed, or one it has that the batch run did not see, shows in the differences.
 *
 * @param keysCompared           keys both layers have
 * @param keysDiffering          of those, keys where views or unique users differ
 * @param keysOnlyInBatch        keys the speed layer has no window for
 * @param keysOnlyInSpeed        keys the batch run has no row for
 * @param batchViews             sum of the batch views
 * @param speedViews             sum of the speed views
 * @param viewsDifference        sum over keys of {@code |speed - batch|} views
 * @param batchUniqueUsers       sum of the batch unique users (of page-days: a user counts once per page and day)
 * @param speedUniqueUsers       sum of the speed unique users
 * @param uniqueUsersDifference  sum over keys of {@code |speed - batch|} unique users
 */
public record DriftTotals(long keysCompared, long keysDiffering, long keysOnlyInBatch, long keysOnlyInSpeed,
                          long batchViews, long speedViews, long viewsDifference,
                          long batchUniqueUsers, long speedUniqueUsers, long uniqueUsersDifference) {

    /** Nothing compared: no served run, or nothing in scope. */
    public static final DriftTotals NONE = new DriftTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** {@code viewsDifference / batchViews}: 0 when nothing differs, NaN when only the speed layer has views. */
    public double viewsRelativeError() {
        return Drift.relativeError(viewsDifference, batchViews);
    }

    /** {@code uniqueUsersDifference / batchUniqueUsers}, read like {@link #viewsRelativeError()}. */
    public double uniqueUsersRelativeError() {
        return Drift.relativeError(uniqueUsersDifference, batchUniqueUsers);
    }
}
