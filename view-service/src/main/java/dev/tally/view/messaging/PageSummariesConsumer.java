package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.DailySummary;
import dev.tally.view.ViewConfig;
import dev.tally.view.reconciliation.Reconciler;
import dev.tally.view.store.BatchApply;
import dev.tally.view.store.BatchViewRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the batch view: stores each run's rows, and serves a run once its run-end record and all of its rows have
 * arrived, newest run first. Records come in batches (what one poll returned), applied in one transaction with a
 * few set-based statements ({@link BatchViewRepository#apply}). Consumption is at least once; applying a record
 * again changes nothing. A record that cannot be read is logged and skipped; a database failure is retried with
 * backoff, holding consumption back.
 */
@ApplicationScoped
public class PageSummariesConsumer {
    private static final Logger LOG = Logger.getLogger(PageSummariesConsumer.class);
    /** Channel of the {@code page-summaries} topic. */
    public static final String PAGE_SUMMARIES = "page-summaries";

    private final BatchViewRepository repository;
    private final Reconciler reconciler;
    private final ObjectMapper json;
    private final ViewConfig config;
    private final Map<BatchApply.Outcome, Counter> applied = new EnumMap<>(BatchApply.Outcome.class);
    private final Counter switches;
    private final Counter unreadable;

    @Inject
    public PageSummariesConsumer(BatchViewRepository repository, Reconciler reconciler, ObjectMapper json,
                                 ViewConfig config, MeterRegistry registry) {
        this.repository = repository;
        this.reconciler = reconciler;
        this.json = json;
        this.config = config;
        for (BatchApply.Outcome outcome : BatchApply.Outcome.values()) {
            applied.put(outcome, registry.counter("tally.view.summaries.applied", "outcome", outcome.label()));
        }
        this.switches = registry.counter("tally.view.batch.runs.switched");
        this.unreadable = registry.counter("tally.view.summaries.ignored", "reason", "unreadable");
    }

    @Incoming(PAGE_SUMMARIES)
    public Uni<Void> consume(List<String> values) {
        List<DailySummary> rows = new ArrayList<>();
        List<BatchViewRepository.RunEnd> ends = new ArrayList<>();
        for (String value : values) {
            DailySummary record;
            try {
                record = json.readValue(value, DailySummary.class);
                String problem = problem(record);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
            } catch (Exception e) {
                unreadable.increment();
                LOG.warnf("a page-summaries record is not a daily summary, skipped: %s", e.getMessage());
                continue;
            }
            if (DailySummary.RUN.equals(record.type())) {
                ends.add(new BatchViewRepository.RunEnd(record.runId(), record.rows(), record.completeUntil(),
                        horizonJson(record)));
            } else {
                rows.add(record);
            }
        }
        if (rows.isEmpty() && ends.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Duration keep = config.batch().keepSuperseded();
        return repository.apply(rows, ends, keep)
                .onFailure().invoke(e -> LOG.warnf("applying %d page-summaries rows and %d run ends failed, "
                        + "retrying: %s", rows.size(), ends.size(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(result -> applied.forEach((outcome, counter) -> counter.increment(result.count(outcome))))
                .invoke(result -> LOG.debugf("page-summaries: %d rows and %d run ends applied: %s", rows.size(),
                        ends.size(), result.counts()))
                .call(result -> {
                    if (result.switchedTo() == null) {
                        return Uni.createFrom().voidItem();
                    }
                    switches.increment();
                    LOG.infof("serving batch run %s", result.switchedTo());
                    return reconciler.refresh();
                })
                .replaceWithVoid();
    }

    /** What makes {@code record} unusable, or null if nothing does. */
    static String problem(DailySummary record) {
        if (record.runId() == null || record.runId().isBlank()) {
            return "no run_id";
        }
        if (DailySummary.ROW.equals(record.type())) {
            if (record.pageId() == null || record.date() == null || record.totalViews() == null
                    || record.uniqueUsers() == null) {
                return "a row needs page_id, date, total_views and unique_users";
            }
            if (record.totalViews() < 0 || record.uniqueUsers() < 0 || record.uniqueUsers() > record.totalViews()) {
                return "a row's counts must satisfy 0 <= unique_users <= total_views";
            }
            return null;
        }
        if (DailySummary.RUN.equals(record.type())) {
            if (record.completeUntil() == null || record.rows() == null || record.rows() < 0) {
                return "a run end needs complete_until and rows";
            }
            return null;
        }
        return "unknown type '" + record.type() + "'";
    }

    private String horizonJson(DailySummary record) {
        if (record.horizon() == null) {
            return null;
        }
        try {
            return json.writeValueAsString(new TreeMap<>(record.horizon()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
