package dev.tally.alerting.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.alerting.AlertingConfig;
import dev.tally.alerting.domain.ThresholdRule;
import dev.tally.alerting.store.AlertRepository;
import dev.tally.contracts.AlertEvent;
import dev.tally.contracts.ViewVersionChange;
import dev.tally.contracts.ViewVersions;
import dev.tally.contracts.WindowResult;
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
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Evaluates the configured rule on every page-stats result of the serving view version. A new alert is recorded (once per fingerprint) and
 * then its deliveries are enqueued; a repeat of the same crossing changes nothing.
 */
@ApplicationScoped
public class PageStatsConsumer {
    private static final Logger LOG = Logger.getLogger(PageStatsConsumer.class);
    /** Channel of the {@code page-stats} topic. */
    public static final String PAGE_STATS = "page-stats";
    /** Channel of the {@code view-versions} topic. */
    public static final String VIEW_VERSIONS = "view-versions";

    private final Optional<ThresholdRule> rule;
    private final AlertRepository alerts;
    private final DeliveryPublisher publisher;
    private final ObjectMapper json;
    private final Counter fired;

    /** The view version readers are served, from the view-versions topic: only its results raise alerts. */
    private final AtomicInteger serving = new AtomicInteger(ViewVersions.FIRST);

    /**
     * Follows the {@code view-versions} control topic (every instance reads all of it: no shared group), so that
     * after a replay's switch the new version's results are evaluated, and never both versions' at once.
     */
    @Incoming(VIEW_VERSIONS)
    public void viewVersion(String value) {
        try {
            ViewVersionChange change = json.readValue(value, ViewVersionChange.class);
            if (ViewVersionChange.SERVING.equals(change.state()) && change.version() > serving.get()) {
                serving.set(change.version());
                LOG.infof("alerts follow view version %d", change.version());
            }
        } catch (Exception e) {
            LOG.warnf("a view-versions record is not a view version change, skipped: %s", e.getMessage());
        }
    }

    @Inject
    public PageStatsConsumer(AlertingConfig config, AlertRepository alerts, DeliveryPublisher publisher,
                             ObjectMapper json, MeterRegistry registry) {
        this.rule = config.rule().pageId()
                .map(page -> new ThresholdRule(config.rule().id(), page, config.rule().viewsAbove(),
                        config.rule().windowKind(), config.rule().windowSize()));
        this.alerts = alerts;
        this.publisher = publisher;
        this.json = json;
        this.fired = registry.counter("tally.alerting.alerts.fired");
        rule.ifPresentOrElse(r -> LOG.infof("rule %s: views of page %s above %d in %s %s windows", r.id(),
                        r.pageId(), r.viewsAbove(), r.windowKind(), r.windowSize()),
                () -> LOG.info("no alert rule configured (tally.alerting.rule.page-id)"));
    }

    @Incoming(PAGE_STATS)
    public Uni<Void> consume(ConsumerRecord<String, String> record) {
        if (rule.isEmpty() || ViewVersions.versionOf(record.topic()) != serving.get()) {
            return Uni.createFrom().voidItem(); // a replay being built, or a retired version: not what readers see
        }
        WindowResult result;
        try {
            result = json.readValue(record.value(), WindowResult.class);
        } catch (Exception e) {
            LOG.warnf("a page-stats record is not a window result, skipped: %s", e.getMessage());
            return Uni.createFrom().voidItem();
        }
        Optional<AlertEvent> alert = rule.get().evaluate(result, Instant.now());
        if (alert.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Panache.withTransaction(() -> alerts.recordIfNew(alert.get()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).atMost(20)
                .flatMap(isNew -> {
                    if (!isNew) {
                        return Uni.createFrom().voidItem();
                    }
                    fired.increment();
                    LOG.infof("alert %s firing: page %s has %d views in %s", alert.get().fingerprint(),
                            result.pageId(), result.views(), result.window().key());
                    // if enqueueing fails, the outbox sweeper enqueues later
                    return publisher.enqueue(alert.get())
                            .onFailure().invoke(e -> LOG.warnf("enqueueing alert %s failed: %s",
                                    alert.get().fingerprint(), e.toString()))
                            .onFailure().recoverWithNull();
                });
    }
}
