package dev.tally.view.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersionChange;
import dev.tally.contracts.ViewVersions;
import dev.tally.view.messaging.PageStatsConsumer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which view version of the stream views queries answer from. The aggregator announces each version's state on
 * {@code view-versions}; a version announced as serving is switched to once this service's page-stats consumer
 * group has applied its page-stats up to the offsets in the announcement, so that the new version is at least as
 * complete as the aggregator said when it caught up. The switch is one row ({@code view.serving_version}); every
 * query reads the version once, so it answers wholly from one version. After the switch the other versions' rows
 * are deleted.
 */
@ApplicationScoped
public class ServingVersions {
    private static final Logger LOG = Logger.getLogger(ServingVersions.class);
    private static final TypeReference<TreeMap<Integer, Long>> OFFSETS = new TypeReference<>() {
    };

    /** A version announced as serving, not switched to yet. */
    record Pending(int version, Map<Integer, Long> pageStatsOffsets) {
    }

    @Inject
    Pool pool;

    @Inject
    ObjectMapper json;

    @Inject
    PageWindowRepository windows;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;


    private final AtomicInteger serving = new AtomicInteger(ViewVersions.FIRST);
    private volatile Admin admin;

    @Inject
    void metrics(MeterRegistry registry) {
        Gauge.builder("tally.view.serving.version", serving, AtomicInteger::get)
                .description("the view version of the stream views that queries answer from").register(registry);
    }

    /** The version queries answer from now (as of the last second). */
    public int current() {
        return serving.get();
    }

    /** Records what the view-versions topic says about a version. */
    public Uni<Void> announced(ViewVersionChange change) {
        return pool.preparedQuery("INSERT INTO view.view_version (version, state, page_stats_offsets, announced_at) "
                        + "VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (version) DO UPDATE SET state = EXCLUDED.state, "
                        + "page_stats_offsets = EXCLUDED.page_stats_offsets, announced_at = EXCLUDED.announced_at")
                .execute(Tuple.of(change.version(), change.state(), write(change.pageStatsOffsets()),
                        OffsetDateTime.ofInstant(change.at() == null ? Instant.now() : change.at(), ZoneOffset.UTC)))
                .replaceWithVoid();
    }

    /** Every version this service knows of, oldest first, with the one it serves. */
    public Uni<List<Map<String, Object>>> known() {
        return pool.query("SELECT version, state, announced_at, switched_at FROM view.view_version ORDER BY version")
                .execute().map(rows -> {
                    List<Map<String, Object>> versions = new ArrayList<>();
                    for (Row row : rows) {
                        Map<String, Object> version = new java.util.LinkedHashMap<>();
                        version.put("version", row.getInteger("version"));
                        version.put("state", row.getString("state"));
                        version.put("announced_at", row.getOffsetDateTime("announced_at").toInstant());
                        OffsetDateTime switched = row.getOffsetDateTime("switched_at");
                        if (switched != null) {
                            version.put("switched_at", switched.toInstant());
                        }
                        versions.add(version);
                    }
                    return versions;
                });
    }

    /** Set once the service stops: the database pool closes then. */
    private volatile boolean stopping;

    /**
     * Every second (the scheduler's shortest period): reads the serving version (another replica may have switched),
     * and switches to a version announced as serving once its page-stats are applied up to the announced offsets.
     * Not once the service is stopping: its database pool closes then.
     */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        if (stopping) {
            return;
        }
        try {
            Row row = pool.query("SELECT version FROM view.serving_version").execute().await()
                    .atMost(Duration.ofSeconds(10)).iterator().next();
            serving.set(row.getInteger("version"));
            List<Pending> pending = new ArrayList<>();
            for (Row p : pool.query("SELECT version, page_stats_offsets FROM view.view_version "
                    + "WHERE state = 'serving' AND switched_at IS NULL ORDER BY version").execute().await()
                    .atMost(Duration.ofSeconds(10))) {
                Object offsets = p.getValue("page_stats_offsets");
                pending.add(new Pending(p.getInteger("version"), offsets == null ? Map.of() : read(offsets)));
            }
            for (Pending next : pending) {
                if (next.version() < serving.get() || applied(next)) {
                    switchTo(next.version());
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("checking the serving view version failed, will retry: %s", e.toString());
        }
    }

    /** Whether the page-stats consumer group has committed, on every partition, at least the announced offsets. */
    private boolean applied(Pending pending) {
        if (pending.pageStatsOffsets().values().stream().allMatch(o -> o == 0)) {
            return true;
        }
        String topic = ViewVersions.topic(Topics.PAGE_STATS, pending.version());
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin().listConsumerGroupOffsets(PageStatsConsumer.GROUP)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            return pending.pageStatsOffsets().entrySet().stream().allMatch(wanted -> {
                OffsetAndMetadata at = committed.get(new TopicPartition(topic, wanted.getKey()));
                return wanted.getValue() == 0 || (at != null && at.offset() >= wanted.getValue());
            });
        } catch (Exception e) {
            LOG.debugf("the committed offsets of %s are unknown: %s", PageStatsConsumer.GROUP, e.toString());
            return false;
        }
    }

    private void switchTo(int version) {
        int from = serving.get();
        if (version > from) {
            pool.withTransaction(conn -> conn.preparedQuery("UPDATE view.serving_version SET version = $1, "
                                    + "switched_at = now() WHERE version < $1")
                            .execute(Tuple.of(version))
                            .flatMap(done -> conn.preparedQuery("UPDATE view.view_version SET switched_at = now() "
                                    + "WHERE version = $1").execute(Tuple.of(version))))
                    .await().atMost(Duration.ofSeconds(10));
            serving.set(version);
            LOG.infof("queries answer from view version %d (was %d)", version, from);
        } else {
            pool.preparedQuery("UPDATE view.view_version SET switched_at = now() WHERE version = $1")
                    .execute(Tuple.of(version)).await().atMost(Duration.ofSeconds(10));
        }
        int dropped = windows.dropAllBut(serving.get()).await().atMost(Duration.ofMinutes(5));
        if (dropped > 0) {
            LOG.infof("dropped %d rows of view versions other than %d", dropped, serving.get());
        }
    }

    private Admin admin() {
        if (admin == null) {
            synchronized (this) {
                if (admin == null) {
                    Map<String, Object> config = new HashMap<>();
                    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.get("bootstrap.servers"));
                    admin = Admin.create(config);
                }
            }
        }
        return admin;
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (admin != null) {
            admin.close();
        }
    }

    private Map<Integer, Long> read(Object jsonb) {
        try {
            return json.readValue(jsonb.toString(), OFFSETS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String write(Map<Integer, Long> offsets) {
        if (offsets == null) {
            return null;
        }
        try {
            return json.writeValueAsString(offsets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
