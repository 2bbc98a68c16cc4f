package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.WindowResult;
import dev.tally.view.store.PageWindowRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;

/**
 * Keeps the serving table equal to the newest version of every page-stats key. A record that cannot be read is
 * logged and skipped; a database failure is retried with backoff, holding consumption back.
 */
@ApplicationScoped
public class PageStatsConsumer {
    private static final Logger LOG = Logger.getLogger(PageStatsConsumer.class);
    /** Channel of the {@code page-stats} topic. */
    public static final String PAGE_STATS = "page-stats";

    private final PageWindowRepository repository;
    private final ObjectMapper json;
    private final Counter applied;
    private final Counter stale;
    private final Counter unreadable;

    @Inject
    public PageStatsConsumer(PageWindowRepository repository, ObjectMapper json, MeterRegistry registry) {
        this.repository = repository;
        this.json = json;
        this.applied = registry.counter("tally.view.results.applied");
        this.stale = registry.counter("tally.view.results.ignored", "reason", "not-newer");
        this.unreadable = registry.counter("tally.view.results.ignored", "reason", "unreadable");
    }

    @Incoming(PAGE_STATS)
    public Uni<Void> consume(String value) {
        WindowResult result;
        try {
            result = json.readValue(value, WindowResult.class);
        } catch (Exception e) {
            unreadable.increment();
            LOG.warnf("a page-stats record is not a window result, skipped: %s", e.getMessage());
            return Uni.createFrom().voidItem();
        }
        return Panache.withTransaction(() -> repository.applyIfNewer(result))
                .onFailure().invoke(e -> LOG.warnf("applying %s failed, retrying: %s", result.key(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(changed -> (changed ? applied : stale).increment())
                .replaceWithVoid();
    }
}
