package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.WindowResult;
import dev.tally.view.store.PageWindowRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the serving table equal to the newest version of every page-stats key. Records come in batches (what one
 * poll returned); of each key only the newest version is written, all in one statement that changes a row only
 * if its version is older. A record that cannot be read is logged and skipped; a database failure is retried
 * with backoff, holding consumption back.
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
    public Uni<Void> consume(List<String> values) {
        Map<String, WindowResult> newest = new LinkedHashMap<>();
        for (String value : values) {
            WindowResult result;
            try {
                result = json.readValue(value, WindowResult.class);
            } catch (Exception e) {
                unreadable.increment();
                LOG.warnf("a page-stats record is not a window result, skipped: %s", e.getMessage());
                continue;
            }
            if (result.pageId() == null || result.window() == null) {
                unreadable.increment();
                LOG.warnf("a page-stats record without page_id or window, skipped: %s", value);
                continue;
            }
            newest.merge(result.key(), result, (a, b) -> a.version() >= b.version() ? a : b);
        }
        int read = values.size();
        return repository.applyIfNewer(List.copyOf(newest.values()))
                .onFailure().invoke(e -> LOG.warnf("applying %d page-stats records failed, retrying: %s",
                        newest.size(), e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .invoke(changed -> {
                    applied.increment(changed);
                    stale.increment(read - changed);
                })
                .replaceWithVoid();
    }
}
