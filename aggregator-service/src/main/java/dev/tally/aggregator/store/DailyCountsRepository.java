package dev.tally.aggregator.store;

import dev.tally.aggregator.domain.DailyCounts;
import dev.tally.aggregator.domain.SourceRecord;
import dev.tally.contracts.ClickEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Applies a micro-batch of clicks to the daily counts: in one transaction it locks the offsets of the batch's
 * partitions, skips every record below them (already counted), drops events whose id was counted before (a
 * client's retry written twice), adds the rest, and moves the offsets on. The
 * rows it changed come back with their new versions, to be published. Set-based SQL (unnest of arrays) keeps
 * a batch to a handful of statements whatever its size, which is why this talks to the reactive client directly.
 */
@ApplicationScoped
public class DailyCountsRepository {

    /** One changed page-day after a batch, as it stands in the database. */
    public record PageDay(String pageId, LocalDate day, long views, long uniqueUsers, long version) {
    }

    /** The outcome of a batch: the changed rows, the next offset per partition, and how many records were new. */
    public record Applied(List<PageDay> changed, Map<Integer, Long> nextOffsets, int counted, int skipped,
                          int duplicates) {
    }

    @Inject
    Pool pool;

    /** Applies {@code records} (read from {@code topic}) exactly once, whatever was applied before. */
    public Uni<Applied> apply(String topic, List<SourceRecord> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().item(new Applied(List.of(), Map.of(), 0, 0, 0));
        }
        return pool.withTransaction(conn -> lockOffsets(conn, topic, partitionsOf(records))
                .flatMap(stored -> {
                    Map<Integer, Long> next = new TreeMap<>(stored);
                    List<ClickEvent> fresh = new ArrayList<>(records.size());
                    int read = 0;
                    for (SourceRecord record : records) {
                        long from = stored.getOrDefault(record.partition(), 0L);
                        if (record.offset() < from) {
                            continue; // counted by an earlier batch: this is a redelivery
                        }
                        read++;
                        if (record.event() != null) {
                            fresh.add(record.event());
                        }
                        next.merge(record.partition(), record.offset() + 1, Math::max);
                    }
                    int skipped = records.size() - read;
                    if (read == 0) {
                        return Uni.createFrom().item(new Applied(List.of(), stored, 0, skipped, 0));
                    }
                    return firstSeen(conn, fresh).flatMap(unique -> {
                        DailyCounts counts = new DailyCounts();
                        unique.forEach(counts::add);
                        int duplicates = fresh.size() - unique.size();
                        Uni<List<PageDay>> changed = counts.isEmpty() ? Uni.createFrom().item(List.of())
                                : addUsers(conn, counts).flatMap(newUsers -> addCounts(conn, counts, newUsers));
                        return changed.call(() -> storeOffsets(conn, topic, next))
                                .map(rows -> new Applied(rows, next, unique.size(), skipped, duplicates));
                    });
                }));
    }

    /**
     * The events whose ids were never counted before, in their order; records their ids as counted. An id that
     * occurs twice in {@code events} counts once.
     */
    private static Uni<List<ClickEvent>> firstSeen(SqlConnection conn, List<ClickEvent> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return conn.preparedQuery("INSERT INTO aggregator.seen_event (event_id) SELECT unnest($1::text[]) "
                        + "ON CONFLICT DO NOTHING RETURNING event_id")
                .execute(Tuple.of((Object) events.stream().map(ClickEvent::eventId).toArray(String[]::new)))
                .map(rows -> {
                    java.util.Set<String> firsts = new java.util.HashSet<>();
                    for (Row row : rows) {
                        firsts.add(row.getString("event_id"));
                    }
                    List<ClickEvent> unique = new ArrayList<>(firsts.size());
                    for (ClickEvent event : events) {
                        if (firsts.remove(event.eventId())) {
                            unique.add(event);
                        }
                    }
                    return unique;
                });
    }

    /** Forgets counted event ids older than {@code horizon}; returns how many. */
    public Uni<Integer> pruneSeen(java.time.Duration horizon) {
        return pool.preparedQuery("DELETE FROM aggregator.seen_event WHERE seen_at < now() - make_interval(secs => $1)")
                .execute(Tuple.of((double) horizon.toSeconds()))
                .map(rows -> rows.rowCount());
    }

    /** The stored next offset of each partition, or nothing for a partition never read. */
    public Uni<Map<Integer, Long>> storedOffsets(String topic, Collection<Integer> partitions) {
        return pool.preparedQuery("SELECT partition, next_offset FROM aggregator.source_offset WHERE topic = $1 "
                        + "AND partition = ANY($2)")
                .execute(Tuple.of(topic, partitions.toArray(new Integer[0])))
                .map(rows -> {
                    Map<Integer, Long> offsets = new HashMap<>();
                    for (Row row : rows) {
                        offsets.put(row.getInteger("partition"), row.getLong("next_offset"));
                    }
                    return offsets;
                });
    }

    /** Rows changed since they were last published (the outbox), oldest first. */
    public Uni<List<PageDay>> unpublished(int limit) {
        return pool.preparedQuery("SELECT page_id, day, views, unique_users, version FROM aggregator.page_day "
                        + "WHERE version > published_version ORDER BY updated_at LIMIT $1")
                .execute(Tuple.of(limit))
                .map(rows -> {
                    List<PageDay> result = new ArrayList<>();
                    for (Row row : rows) {
                        result.add(pageDay(row));
                    }
                    return result;
                });
    }

    /** Records that these versions reached Kafka. */
    public Uni<Void> markPublished(List<PageDay> published) {
        if (published.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pool.preparedQuery("UPDATE aggregator.page_day SET published_version = GREATEST(published_version, t.v) "
                        + "FROM unnest($1::text[], $2::date[], $3::bigint[]) AS t(p, d, v) "
                        + "WHERE page_id = t.p AND day = t.d")
                .execute(Tuple.of(
                        published.stream().map(PageDay::pageId).toArray(String[]::new),
                        published.stream().map(PageDay::day).toArray(LocalDate[]::new),
                        published.stream().map(PageDay::version).toArray(Long[]::new)))
                .replaceWithVoid();
    }

    private static Integer[] partitionsOf(List<SourceRecord> records) {
        return records.stream().map(SourceRecord::partition).distinct().toArray(Integer[]::new);
    }

    private static Uni<Map<Integer, Long>> lockOffsets(SqlConnection conn, String topic, Integer[] partitions) {
        return conn.preparedQuery("INSERT INTO aggregator.source_offset (topic, partition, next_offset) "
                        + "SELECT $1, p, 0 FROM unnest($2::int[]) AS p ON CONFLICT DO NOTHING")
                .execute(Tuple.of(topic, partitions))
                .flatMap(ignored -> conn.preparedQuery("SELECT partition, next_offset FROM aggregator.source_offset "
                                + "WHERE topic = $1 AND partition = ANY($2) FOR UPDATE")
                        .execute(Tuple.of(topic, partitions)))
                .map(rows -> {
                    Map<Integer, Long> offsets = new HashMap<>();
                    for (Row row : rows) {
                        offsets.put(row.getInteger("partition"), row.getLong("next_offset"));
                    }
                    return offsets;
                });
    }

    /** Inserts every (page, day, user) of the batch; returns how many were new per page-day. */
    private static Uni<Map<DailyCounts.Key, Long>> addUsers(SqlConnection conn, DailyCounts counts) {
        List<String> pages = new ArrayList<>();
        List<LocalDate> days = new ArrayList<>();
        List<String> users = new ArrayList<>();
        counts.byKey().forEach((key, tally) -> tally.users().forEach(user -> {
            pages.add(key.pageId());
            days.add(key.day());
            users.add(user);
        }));
        return conn.preparedQuery("INSERT INTO aggregator.page_day_user (page_id, day, user_id) "
                        + "SELECT * FROM unnest($1::text[], $2::date[], $3::text[]) "
                        + "ON CONFLICT DO NOTHING RETURNING page_id, day")
                .execute(Tuple.of(pages.toArray(new String[0]), days.toArray(new LocalDate[0]),
                        users.toArray(new String[0])))
                .map(rows -> {
                    Map<DailyCounts.Key, Long> added = new HashMap<>();
                    for (Row row : rows) {
                        added.merge(new DailyCounts.Key(row.getString("page_id"), row.getLocalDate("day")), 1L,
                                Long::sum);
                    }
                    return added;
                });
    }

    private static Uni<List<PageDay>> addCounts(SqlConnection conn, DailyCounts counts,
                                                Map<DailyCounts.Key, Long> newUsers) {
        int size = counts.byKey().size();
        String[] pages = new String[size];
        LocalDate[] days = new LocalDate[size];
        Long[] views = new Long[size];
        Long[] uniques = new Long[size];
        int i = 0;
        for (Map.Entry<DailyCounts.Key, DailyCounts.Tally> entry : counts.byKey().entrySet()) {
            pages[i] = entry.getKey().pageId();
            days[i] = entry.getKey().day();
            views[i] = entry.getValue().views();
            uniques[i] = newUsers.getOrDefault(entry.getKey(), 0L);
            i++;
        }
        return conn.preparedQuery("INSERT INTO aggregator.page_day (page_id, day, views, unique_users, version) "
                        + "SELECT p, d, v, u, 1 FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[]) "
                        + "AS t(p, d, v, u) "
                        + "ON CONFLICT (page_id, day) DO UPDATE SET views = page_day.views + EXCLUDED.views, "
                        + "unique_users = page_day.unique_users + EXCLUDED.unique_users, "
                        + "version = page_day.version + 1, updated_at = now() "
                        + "RETURNING page_id, day, views, unique_users, version")
                .execute(Tuple.of(pages, days, views, uniques))
                .map(rows -> {
                    List<PageDay> changed = new ArrayList<>();
                    for (Row row : rows) {
                        changed.add(pageDay(row));
                    }
                    return changed;
                });
    }

    private static Uni<Void> storeOffsets(SqlConnection conn, String topic, Map<Integer, Long> next) {
        return conn.preparedQuery("UPDATE aggregator.source_offset SET next_offset = t.o "
                        + "FROM unnest($1::int[], $2::bigint[]) AS t(p, o) WHERE topic = $3 AND partition = t.p")
                .execute(Tuple.of(next.keySet().toArray(new Integer[0]), next.values().toArray(new Long[0]), topic))
                .replaceWithVoid();
    }

    private static PageDay pageDay(Row row) {
        return new PageDay(row.getString("page_id"), row.getLocalDate("day"), row.getLong("views"),
                row.getLong("unique_users"), row.getLong("version"));
    }
}
