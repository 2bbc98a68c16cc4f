package dev.tally.alerting.store;

import dev.tally.contracts.AlertEvent;
import dev.tally.contracts.WindowRef;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;

/** Alert state: an alert fires once per fingerprint, and its deliveries are enqueued until marked so. */
@ApplicationScoped
public class AlertRepository implements PanacheRepositoryBase<Alert, String> {

    /** Records the alert if its fingerprint is new; must run in a transaction. @return true if it was new */
    public Uni<Boolean> recordIfNew(AlertEvent event) {
        return findById(event.fingerprint()).flatMap(existing -> {
            if (existing != null) {
                return Uni.createFrom().item(false);
            }
            Alert alert = new Alert();
            alert.fingerprint = event.fingerprint();
            alert.ruleId = event.ruleId();
            alert.pageId = event.pageId();
            alert.windowKind = event.window().kind();
            alert.windowSize = event.window().size();
            alert.windowStart = event.window().start();
            alert.windowEnd = event.window().end();
            alert.state = event.state();
            alert.value = event.value();
            alert.threshold = event.threshold();
            alert.firedAt = event.at();
            return persist(alert).replaceWith(true);
        });
    }

    /** Alerts whose deliveries may not have reached the queue, fired before {@code firedBefore}. */
    public Uni<List<Alert>> notEnqueued(Instant firedBefore, int limit) {
        return find("enqueuedAt is null and firedAt < ?1 order by firedAt", firedBefore).page(0, limit).list();
    }

    public Uni<Void> markEnqueued(String fingerprint) {
        return update("enqueuedAt = ?1 where fingerprint = ?2", Instant.now(), fingerprint).replaceWithVoid();
    }

    public static AlertEvent toEvent(Alert alert) {
        return new AlertEvent(alert.fingerprint, alert.ruleId, alert.state, alert.pageId,
                new WindowRef(alert.windowKind, alert.windowSize, alert.windowStart, alert.windowEnd),
                alert.value, alert.threshold, alert.firedAt);
    }
}
