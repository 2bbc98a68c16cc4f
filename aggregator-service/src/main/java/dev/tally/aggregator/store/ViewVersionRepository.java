package dev.tally.aggregator.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.contracts.ViewVersionChange;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The versions of the stream views and where a replay stands (table {@code aggregator.view_version}). Every change
 * is a compare-and-set on the row's state (and phase), so that the replicas that all check a replay's progress
 * move it on once.
 */
@ApplicationScoped
public class ViewVersionRepository {
    /**
     * A retired version whose state and topics are gone; the other states are those announced on view-versions
     * ({@link ViewVersionChange#REPLAYING}, {@link ViewVersionChange#SERVING}, {@link ViewVersionChange#RETIRED}).
     */
    public static final String DROPPED = "dropped";
    /** A replay's first phase: its stage 1 catching up with the serving version's. */
    public static final String PHASE_CLICKS = "clicks";
    /** A replay's second phase: its stage 2 reading what its stage 1 wrote until it caught up. */
    public static final String PHASE_PARTIALS = "partials";

    private static final TypeReference<TreeMap<Integer, Long>> OFFSETS = new TypeReference<>() {
    };

    /** One row: a version and where it stands. */
    public record Version(int version, String state, Instant requestedAt, Instant servingAt, Instant retiredAt,
                          Instant droppedAt, String phase, Map<Integer, Long> target,
                          Map<Integer, Long> pageStatsOffsets, String announced) {
    }

    @Inject
    Pool pool;

    @Inject
    ObjectMapper json;

    /** Every version, oldest first. */
    public Uni<List<Version>> all() {
        return pool.query("SELECT * FROM aggregator.view_version ORDER BY version").execute().map(rows -> {
            List<Version> versions = new ArrayList<>();
            for (Row row : rows) {
                versions.add(version(row));
            }
            return versions;
        });
    }

    public Uni<Optional<Version>> find(int version) {
        return pool.preparedQuery("SELECT * FROM aggregator.view_version WHERE version = $1")
                .execute(Tuple.of(version))
                .map(rows -> rows.iterator().hasNext() ? Optional.of(version(rows.iterator().next()))
                        : Optional.empty());
    }

    /**
     * Adds the next version, replaying, unless one replays already.
     *
     * @return the new version, or empty if a replay is running
     */
    public Uni<Optional<Version>> startReplay() {
        return pool.withTransaction(conn -> conn.query("LOCK TABLE aggregator.view_version IN EXCLUSIVE MODE")
                .execute()
                .flatMap(locked -> conn.query("SELECT count(*) FILTER (WHERE state = 'replaying') AS replaying, "
                        + "max(version) AS last FROM aggregator.view_version").execute())
                .flatMap(rows -> {
                    Row row = rows.iterator().next();
                    if (row.getLong("replaying") > 0) {
                        return Uni.createFrom().item(Optional.<Version>empty());
                    }
                    int next = (row.getInteger("last") == null ? 0 : row.getInteger("last")) + 1;
                    return conn.preparedQuery("INSERT INTO aggregator.view_version (version, state, phase) "
                                    + "VALUES ($1, 'replaying', 'clicks') RETURNING *")
                            .execute(Tuple.of(next))
                            .map(inserted -> Optional.of(version(inserted.iterator().next())));
                }));
    }

    /** Sets a replay's catch-up target (and phase), if it is still replaying in phase {@code from}. */
    public Uni<Boolean> target(int version, String from, String to, Map<Integer, Long> target) {
        return pool.preparedQuery("UPDATE aggregator.view_version SET phase = $3, target = $4::jsonb "
                        + "WHERE version = $1 AND state = 'replaying' AND phase = $2")
                .execute(Tuple.of(version, from, to, write(target)))
                .map(rows -> rows.rowCount() == 1);
    }

    /**
     * Makes the replay {@code version} serve and retires {@code serving}, in one transaction, if both still are
     * what they were.
     */
    public Uni<Boolean> switchTo(int version, int serving, Map<Integer, Long> pageStatsOffsets) {
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE aggregator.view_version "
                        + "SET state = 'retired', retired_at = now() WHERE version = $1 AND state = 'serving'")
                .execute(Tuple.of(serving))
                .flatMap(retired -> {
                    if (retired.rowCount() != 1) {
                        return Uni.createFrom().item(false);
                    }
                    return conn.preparedQuery("UPDATE aggregator.view_version SET state = 'serving', "
                                    + "serving_at = now(), phase = NULL, page_stats_offsets = $2::jsonb "
                                    + "WHERE version = $1 AND state = 'replaying' AND phase = 'partials'")
                            .execute(Tuple.of(version, write(pageStatsOffsets)))
                            .flatMap(switched -> switched.rowCount() == 1 ? Uni.createFrom().item(true)
                                    : Uni.createFrom().failure(new IllegalStateException("view version " + version
                                    + " is no longer replaying; nothing switched")));
                }));
    }

    /** Marks a retired version as dropped (its state and topics are gone). */
    public Uni<Boolean> dropped(int version) {
        return pool.preparedQuery("UPDATE aggregator.view_version SET state = 'dropped', dropped_at = now() "
                        + "WHERE version = $1 AND state = 'retired'")
                .execute(Tuple.of(version))
                .map(rows -> rows.rowCount() == 1);
    }

    /** Records that {@code state} of {@code version} went out on the view-versions topic. */
    public Uni<Void> announced(int version, String state) {
        return pool.preparedQuery("UPDATE aggregator.view_version SET announced = $2 WHERE version = $1")
                .execute(Tuple.of(version, state))
                .replaceWithVoid();
    }

    private Version version(Row row) {
        return new Version(row.getInteger("version"), row.getString("state"), instant(row, "requested_at"),
                instant(row, "serving_at"), instant(row, "retired_at"), instant(row, "dropped_at"),
                row.getString("phase"), offsets(row.getValue("target")),
                offsets(row.getValue("page_stats_offsets")), row.getString("announced"));
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime time = row.getOffsetDateTime(column);
        return time == null ? null : time.toInstant();
    }

    private Map<Integer, Long> offsets(Object jsonb) {
        if (jsonb == null) {
            return null;
        }
        try {
            return json.readValue(jsonb.toString(), OFFSETS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String write(Map<Integer, Long> offsets) {
        try {
            return json.writeValueAsString(offsets);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
