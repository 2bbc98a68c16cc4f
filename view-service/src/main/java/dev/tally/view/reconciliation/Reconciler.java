package dev.tally.view.reconciliation;

import dev.tally.view.ViewConfig;
import dev.tally.view.domain.DriftTotals;
import dev.tally.view.domain.KeyDrift;
import dev.tally.view.domain.LambdaMerge;
import dev.tally.view.store.BatchRun;
import dev.tally.view.store.BatchViewRepository;
import dev.tally.view.store.ReconciliationRepository;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * Compares the served batch run with the speed layer, for a request or for the whole coverage of the run, and
 * exports the whole coverage's drift as gauges: recomputed right after every switch of the served run (the batch
 * side changed) and periodically (the speed side keeps changing).
 */
@ApplicationScoped
@Startup
public class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    /**
     * A reconciliation.
     *
     * @param run       the served run compared, or null when no run has completed yet
     * @param from      the first day compared, or null for the run's whole coverage
     * @param to        the last day compared, or null when there is nothing to compare
     * @param truncated true when more keys are in scope than listed
     */
    public record Report(BatchRun run, LocalDate from, LocalDate to, String pageId, DriftTotals totals,
                         List<KeyDrift> keys, boolean truncated) {
    }

    /** The drift of the served run's whole coverage, as last computed. */
    record Snapshot(String runId, Instant completeUntil, DriftTotals totals) {
    }

    private final BatchViewRepository batch;
    private final ReconciliationRepository reconciliation;
    private final ViewConfig config;
    private final AtomicReference<Snapshot> latest = new AtomicReference<>(new Snapshot(null, null, DriftTotals.NONE));

    @Inject
    public Reconciler(BatchViewRepository batch, ReconciliationRepository reconciliation, ViewConfig config,
                      MeterRegistry registry) {
        this.batch = batch;
        this.reconciliation = reconciliation;
        this.config = config;
        gauge(registry, "tally.view.reconciliation.views.difference",
                "sum over (page, day) keys of |speed - batch| views, in the served batch run's coverage",
                s -> s.totals().viewsDifference());
        gauge(registry, "tally.view.reconciliation.views.relative.error",
                "views difference / batch views (NaN when only the speed layer has views)",
                s -> s.totals().viewsRelativeError());
        gauge(registry, "tally.view.reconciliation.unique.users.difference",
                "sum over (page, day) keys of |speed - batch| unique users", s -> s.totals().uniqueUsersDifference());
        gauge(registry, "tally.view.reconciliation.unique.users.relative.error",
                "unique users difference / batch unique users", s -> s.totals().uniqueUsersRelativeError());
        keys(registry, "compared", s -> s.totals().keysCompared());
        keys(registry, "differing", s -> s.totals().keysDiffering());
        keys(registry, "only-batch", s -> s.totals().keysOnlyInBatch());
        keys(registry, "only-speed", s -> s.totals().keysOnlyInSpeed());
        gauge(registry, "tally.view.batch.complete.until",
                "complete_until of the served batch run, in seconds since the epoch (NaN when none is served)",
                s -> s.completeUntil() == null ? Double.NaN : s.completeUntil().getEpochSecond());
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<Snapshot> value) {
        Gauge.builder(name, latest, ref -> value.applyAsDouble(ref.get())).description(description)
                .strongReference(true).register(registry);
    }

    private void keys(MeterRegistry registry, String kind, ToDoubleFunction<Snapshot> value) {
        Gauge.builder("tally.view.reconciliation.keys", latest, ref -> value.applyAsDouble(ref.get()))
                .description("(page, day) keys in the served batch run's coverage, by how the layers compare")
                .tag("kind", kind).strongReference(true).register(registry);
    }

    /**
     * Reconciles the served run with the speed layer from {@code from} to {@code to} (both optional, cut to the
     * run's coverage), for one page or all.
     */
    public Uni<Report> reconcile(LocalDate from, LocalDate to, String pageId, boolean differingOnly, int limit) {
        return batch.served().chain(run -> {
            LocalDate last = run == null ? null : LambdaMerge.lastCoveredDay(run.completeUntil);
            LocalDate until = last == null || (to != null && to.isBefore(last)) ? to : last;
            if (run == null || until == null || (from != null && from.isAfter(until))) {
                return Uni.createFrom().item(new Report(run, from, until, pageId, DriftTotals.NONE, List.of(), false));
            }
            var scope = new ReconciliationRepository.Scope(run.runId, from, until, pageId);
            Uni<List<KeyDrift>> keys = limit == 0 ? Uni.createFrom().item(List.of())
                    : reconciliation.keys(scope, differingOnly, limit + 1);
            return reconciliation.totals(scope).chain(totals -> keys.map(listed -> new Report(run, from, until,
                    pageId, totals, listed.size() > limit ? listed.subList(0, limit) : listed,
                    listed.size() > limit)));
        });
    }

    /** Recomputes the gauges over the served run's whole coverage. Failures are logged, never thrown. */
    public Uni<Void> refresh() {
        return reconcile(null, null, null, false, 0)
                .invoke(report -> latest.set(new Snapshot(report.run() == null ? null : report.run().runId,
                        report.run() == null ? null : report.run().completeUntil, report.totals())))
                .onFailure().invoke(e -> LOG.warnf("recomputing the reconciliation gauges failed: %s", e.toString()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Periodically: the speed layer changes between runs; and the rows of runs superseded long enough go. */
    @Scheduled(every = "${tally.view.reconciliation.every}", delayed = "${tally.view.reconciliation.every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> periodically() {
        return batch.dropRetiredRows(config.batch().keepSuperseded())
                .invoke(dropped -> {
                    if (dropped > 0) {
                        LOG.infof("dropped %d rows of superseded batch runs", dropped);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("dropping the rows of superseded runs failed: %s", e.toString()))
                .onFailure().recoverWithNull()
                .chain(this::refresh);
    }
}
