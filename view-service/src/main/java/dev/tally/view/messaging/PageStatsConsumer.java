package dev.tally.view.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.ViewVersions;
import dev.tally.contracts.WindowResult;
import dev.tally.view.store.PageWindowRepository;
import dev.tally.view.store.ServingVersions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the serving table equal to the newest version of every page-stats key, per view version: the consumer
 * subscribes to {@code page-stats} of every view version ({@code page-stats}, {@code page-stats.v2}, ...), so that a
 * replay's rows are there before readers switch to it (see {@link ServingVersions}); records of a version older
 * than the serving one are skipped. Records come in batches (what one poll returned); of each key only the newest
 * version is written, all in one statement per view version that changes a row only if its version is older. A
 * record that cannot be read is logged and skipped; a database failure is retried with backoff, holding
 * consumption back.
 */
@ApplicationScoped
public class PageStatsConsumer {
    private static final Logger LOG = Logger.getLogger(PageStatsConsumer.class);
    /** Channel of the {@code page-stats} topics (a pattern subscription). */
    public static final String PAGE_STATS = "page-stats";

    private final PageWindowRepository repository;
    private final ServingVersions serving;
    private final ObjectMapper json;
    private final Counter applied;
    private final Counter stale;
    private final Counter retired;
    private final Counter unreadable;
    private final Timer delay;
    private final Timer write;

    @Inject
    public PageStatsConsumer(PageWindowRepository repository, ServingVersions serving, ObjectMapper json,
                             MeterRegistry registry) {
        this.repository = repository;
        this.serving = serving;
        this.json = json;
        this.applied = registry.counter("tally.view.results.applied");
        this.stale = registry.counter("tally.view.results.ignored", "reason", "not-newer");
        this.retired = registry.counter("tally.view.results.ignored", "reason", "retired-view-version");
        this.unreadable = registry.counter("tally.view.results.ignored", "reason", "unreadable");
        this.delay = Timer.builder("tally.view.results.delay")
                .description("From a result's emitted_at (stage 2 made it, before its commit and publish) until "
                        + "the statement that applied it here ended; results read again after a restart count from "
                        + "their first emitted_at")
                .publishPercentiles(0.5, 0.9, 0.99).register(registry);
        this.write = Timer.builder("tally.view.results.write")
                .description("How long the statements that write one poll's newest results took, retries included")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    @Incoming(PAGE_STATS)
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        Map<Integer, Map<String, WindowResult>> newest = new TreeMap<>();
        int current = serving.current();
        int considered = 0;
        for (ConsumerRecord<String, String> record : records) {
            int version = ViewVersions.versionOf(record.topic());
            if (version < current) {
                retired.increment();
                continue;
            }
            WindowResult result;
            try {
                result = json.readValue(record.value(), WindowResult.class);
            } catch (Exception e) {
                unreadable.increment();
                LOG.warnf("a %s record is not a window result, skipped: %s", record.topic(), e.getMessage());
                continue;
            }
            if (result.pageId() == null || result.window() == null) {
                unreadable.increment();
                LOG.warnf("a %s record without page_id or window, skipped: %s", record.topic(), record.value());
                continue;
            }
            considered++;
            newest.computeIfAbsent(version, v -> new LinkedHashMap<>())
                    .merge(result.key(), result, (a, b) -> a.version() >= b.version() ? a : b);
        }
        long started = System.nanoTime();
        Uni<Integer> changed = Uni.createFrom().item(0);
        for (Map.Entry<Integer, Map<String, WindowResult>> version : newest.entrySet()) {
            List<WindowResult> results = List.copyOf(version.getValue().values());
            changed = changed.flatMap(before -> repository.applyIfNewer(version.getKey(), results)
                    .onFailure().invoke(e -> LOG.warnf("applying %d page-stats records of view version %d failed, "
                            + "retrying: %s", results.size(), version.getKey(), e.toString()))
                    .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                    .map(rows -> before + rows));
        }
        int read = considered;
        return changed.invoke(rows -> {
            if (!newest.isEmpty()) {
                write.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
            applied.increment(rows);
            stale.increment(read - rows);
            long now = System.currentTimeMillis();
            newest.values().forEach(results -> results.values().forEach(result -> {
                if (result.emittedAt() != null) {
                    delay.record(Math.max(0, now - result.emittedAt().toEpochMilli()), TimeUnit.MILLISECONDS);
                }
            }));
        }).replaceWithVoid();
    }
}
