package dev.tally.view.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tally.view.domain.DriftTotals;
import dev.tally.view.domain.KeyDrift;
import dev.tally.view.reconciliation.Reconciler;

import java.time.LocalDate;
import java.util.List;

/**
 * The answer of {@code GET /api/reconciliation}: the served batch run against the speed layer, in total and per
 * (page, day) key. Differences per key are signed (speed minus batch); totals add up absolute differences. A
 * relative error is the absolute difference over the batch figure, {@code null} when the batch figure is 0 and the
 * speed figure is not.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ReconciliationReport(
        @JsonProperty("batch_run") BatchRunRef batchRun,
        @JsonProperty("from") LocalDate from,
        @JsonProperty("to") LocalDate to,
        @JsonProperty("page_id") String pageId,
        @JsonProperty("totals") Totals totals,
        @JsonProperty("keys") List<Key> keys,
        @JsonProperty("keys_truncated") boolean keysTruncated) {

    /** The drift over every key in scope. */
    public record Totals(
            @JsonProperty("keys_compared") long keysCompared,
            @JsonProperty("keys_differing") long keysDiffering,
            @JsonProperty("keys_only_in_batch") long keysOnlyInBatch,
            @JsonProperty("keys_only_in_speed") long keysOnlyInSpeed,
            @JsonProperty("batch_views") long batchViews,
            @JsonProperty("speed_views") long speedViews,
            @JsonProperty("views_difference") long viewsDifference,
            @JsonProperty("views_relative_error") Double viewsRelativeError,
            @JsonProperty("batch_unique_users") long batchUniqueUsers,
            @JsonProperty("speed_unique_users") long speedUniqueUsers,
            @JsonProperty("unique_users_difference") long uniqueUsersDifference,
            @JsonProperty("unique_users_relative_error") Double uniqueUsersRelativeError) {

        static Totals of(DriftTotals t) {
            return new Totals(t.keysCompared(), t.keysDiffering(), t.keysOnlyInBatch(), t.keysOnlyInSpeed(),
                    t.batchViews(), t.speedViews(), t.viewsDifference(), finite(t.viewsRelativeError()),
                    t.batchUniqueUsers(), t.speedUniqueUsers(), t.uniqueUsersDifference(),
                    finite(t.uniqueUsersRelativeError()));
        }
    }

    /** One (page, day) key; a layer's figures are {@code null} when it has no such key. */
    public record Key(
            @JsonProperty("page_id") String pageId,
            @JsonProperty("date") LocalDate date,
            @JsonProperty("batch_views") Long batchViews,
            @JsonProperty("batch_unique_users") Long batchUniqueUsers,
            @JsonProperty("speed_views") Long speedViews,
            @JsonProperty("speed_unique_users") Long speedUniqueUsers,
            @JsonProperty("speed_final") Boolean speedFinal,
            @JsonProperty("views_difference") long viewsDifference,
            @JsonProperty("views_relative_error") Double viewsRelativeError,
            @JsonProperty("unique_users_difference") long uniqueUsersDifference,
            @JsonProperty("unique_users_relative_error") Double uniqueUsersRelativeError) {

        static Key of(KeyDrift k) {
            return new Key(k.pageId(), k.date(), k.batchViews(), k.batchUniqueUsers(), k.speedViews(),
                    k.speedUniqueUsers(), k.speedFinal(), k.viewsDifference(), finite(k.viewsRelativeError()),
                    k.uniqueUsersDifference(), finite(k.uniqueUsersRelativeError()));
        }
    }

    static ReconciliationReport of(Reconciler.Report report) {
        return new ReconciliationReport(BatchRunRef.of(report.run()), report.from(), report.to(), report.pageId(),
                Totals.of(report.totals()), report.keys().stream().map(Key::of).toList(), report.truncated());
    }

    private static Double finite(double value) {
        return Double.isNaN(value) ? null : value;
    }
}
