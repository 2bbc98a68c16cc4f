package dev.tally.view.domain;

import java.time.LocalDate;

/**
 * One (page, day) key as the two layers count it; a figure is null when that layer has no such key.
 *
 * @param speedFinal whether the speed layer's window is final, or null when it has none
 */
public record KeyDrift(String pageId, LocalDate date, Long batchViews, Long batchUniqueUsers, Long speedViews,
                       Long speedUniqueUsers, Boolean speedFinal) {

    /** Speed minus batch views: positive when the speed layer counted more. */
    public long viewsDifference() {
        return Drift.difference(batchViews, speedViews);
    }

    /** Speed minus batch unique users. */
    public long uniqueUsersDifference() {
        return Drift.difference(batchUniqueUsers, speedUniqueUsers);
    }

    public double viewsRelativeError() {
        return Drift.relativeError(Math.abs(viewsDifference()), batchViews == null ? 0 : batchViews);
    }

    public double uniqueUsersRelativeError() {
        return Drift.relativeError(Math.abs(uniqueUsersDifference()), batchUniqueUsers == null ? 0 : batchUniqueUsers);
    }

    /** True when both layers have the key and agree on both figures. */
    public boolean agrees() {
        return batchViews != null && speedViews != null && viewsDifference() == 0 && uniqueUsersDifference() == 0;
    }
}
