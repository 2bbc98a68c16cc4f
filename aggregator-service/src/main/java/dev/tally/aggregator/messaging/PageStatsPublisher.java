package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.aggregator.store.DailyCountsRepository;
import dev.tally.aggregator.store.DailyCountsRepository.PageDay;
import dev.tally.contracts.Headers;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Publishes changed page-days on {@code page-stats} and then marks them published: the outbox. A crash between
 * the database commit and the publish loses nothing, because the sweeper publishes whatever is still marked
 * unpublished; a second publish of the same version is harmless, since consumers apply only newer versions.
 */
@ApplicationScoped
public class PageStatsPublisher {
    private static final Logger LOG = Logger.getLogger(PageStatsPublisher.class);
    /** Channel of the {@code page-stats} topic. */
    public static final String PAGE_STATS = "page-stats";

    @Inject
    @Channel(PAGE_STATS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
    MutinyEmitter<String> pageStats;

    @Inject
    DailyCountsRepository repository;

    @Inject
    ObjectMapper json;

    /** Sends each row and waits for Kafka's acknowledgements, then records them as published. */
    public Uni<Void> publish(List<PageDay> rows, Map<Integer, Long> sourceOffsets) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Instant now = Instant.now();
        List<Uni<Void>> sends = rows.stream().map(row -> send(row, sourceOffsets, now)).toList();
        return Uni.join().all(sends).andFailFast().replaceWithVoid()
                .call(() -> repository.markPublished(rows));
    }

    /** Publishes what a crash or a broker outage left unpublished. */
    @Scheduled(every = "${tally.aggregator.outbox-sweep-interval:5s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return repository.unpublished(5000)
                .flatMap(rows -> {
                    if (!rows.isEmpty()) {
                        LOG.infof("publishing %d page-day updates left in the outbox", rows.size());
                    }
                    return publish(rows, Map.of());
                })
                .onFailure().invoke(e -> LOG.warnf("outbox sweep failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    private Uni<Void> send(PageDay row, Map<Integer, Long> sourceOffsets, Instant now) {
        WindowRef window = WindowRef.utcDay(row.day().atStartOfDay().toInstant(ZoneOffset.UTC));
        WindowResult result = new WindowResult(row.pageId(), window, row.views(), row.uniqueUsers(), row.version(),
                false, null, sourceOffsets, now);
        RecordHeaders headers = new RecordHeaders();
        headers.add(Headers.SCHEMA_VERSION,
                Integer.toString(WindowResult.SCHEMA_VERSION).getBytes(StandardCharsets.UTF_8));
        try {
            return pageStats.sendMessage(Message.of(json.writeValueAsString(result))
                    .addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                            .withKey(result.key()).withHeaders(headers).build()));
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
    }
}
