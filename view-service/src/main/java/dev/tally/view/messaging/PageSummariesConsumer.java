package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.DailySummary;
import dev.tally.view.ViewConfig;
import dev.tally.view.reconciliation.Reconciler;
import dev.tally.view.store.BatchApply;
import dev.tally.view.store.BatchViewRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the batch view: stores each run's rows, and serves a run once its run-end record and all of its rows have
 * arrived, newest run first. Consumption is at least once; applying a record again changes nothing. A record that
 * cannot be read is logged and skipped; a database failure is retried with backoff, holding consumption back.
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
    public Uni<Void> consume(ConsumerRecord<String, String> kafkaRecord) {
        String value = kafkaRecord.value();
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
            return Uni.createFrom().voidItem();
        }
        Duration keep = config.batch().keepSuperseded();
        String horizon = horizonJson(record);
        return Panache.withTransaction(() -> DailySummary.RUN.equals(record.type())
                        ? repository.applyRunEnd(record, horizon, keep) : repository.applyRow(record, keep))
                .onFailure().invoke(e -> LOG.warnf("applying %s of run %s failed, retrying: %s", record.key(),
                        record.runId(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(result -> applied.get(result.outcome()).increment())
                .invoke(result -> LOG.debugf("page-summaries %d@%d, run %s, %s: %s", kafkaRecord.partition(),
                        kafkaRecord.offset(), record.runId(), record.key(), result.outcome().label()))
                .call(result -> {
                    if (!result.switched()) {
                        return Uni.createFrom().voidItem();
                    }
                    switches.increment();
                    LOG.infof("serving batch run %s", record.runId());
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
