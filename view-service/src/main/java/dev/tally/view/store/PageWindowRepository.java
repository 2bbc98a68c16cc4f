package dev.tally.view.store;

import dev.tally.contracts.WindowResult;
import dev.tally.view.domain.DayCounts;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes the serving table of page-stats. */
@ApplicationScoped
public class PageWindowRepository {

    @Inject
    Pool pool;

    /**
     * Applies each result only if it is newer than the stored version of its key, in one statement: redelivered
     * and reordered records change nothing, so at-least-once delivery has an exactly-once effect. At most one
     * result per key.
     *
     * @return how many rows changed
     */
    public Uni<Integer> applyIfNewer(int viewVersion, List<WindowResult> results) {
        if (results.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        int n = results.size();
        String[] keys = new String[n];
        String[] pages = new String[n];
        String[] kinds = new String[n];
        String[] sizes = new String[n];
        OffsetDateTime[] starts = new OffsetDateTime[n];
        OffsetDateTime[] ends = new OffsetDateTime[n];
        Long[] views = new Long[n];
        Long[] users = new Long[n];
        Long[] versions = new Long[n];
        Boolean[] finals = new Boolean[n];
        for (int i = 0; i < n; i++) {
            WindowResult r = results.get(i);
            keys[i] = r.key();
            pages[i] = r.pageId();
            kinds[i] = r.window().kind();
            sizes[i] = r.window().size();
            starts[i] = OffsetDateTime.ofInstant(r.window().start(), ZoneOffset.UTC);
            ends[i] = OffsetDateTime.ofInstant(r.window().end(), ZoneOffset.UTC);
            views[i] = r.views();
            users[i] = r.uniqueUsers();
            versions[i] = r.version();
            finals[i] = r.finalResult();
        }
        return pool.preparedQuery("INSERT INTO view.page_window (view_version, result_key, page_id, window_kind, "
                        + "window_size, window_start, window_end, views, unique_users, version, is_final, updated_at) "
                        + "SELECT $11, k, p, wk, ws, st, en, v, u, ver, f, now() FROM unnest($1::text[], $2::text[], "
                        + "$3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::bigint[], "
                        + "$9::bigint[], $10::boolean[]) AS r(k, p, wk, ws, st, en, v, u, ver, f) "
                        + "ON CONFLICT (view_version, result_key) DO UPDATE SET views = EXCLUDED.views, "
                        + "unique_users = EXCLUDED.unique_users, version = EXCLUDED.version, "
                        + "is_final = EXCLUDED.is_final, updated_at = EXCLUDED.updated_at "
                        + "WHERE page_window.version < EXCLUDED.version")
                .execute(Tuple.from(new Object[] {keys, pages, kinds, sizes, starts, ends, views, users, versions,
                        finals, viewVersion}))
                .map(rows -> rows.rowCount());
    }

    /**
     * The 1-day tumbling windows of {@code pageId} from day {@code from} to day {@code to} (both included), oldest
     * first, in view version {@code viewVersion}, as day counts. Plain SQL: every summary query asks.
     */
    public Uni<List<DayCounts>> days(int viewVersion, String pageId, LocalDate from, LocalDate to) {
        return pool.preparedQuery("SELECT window_start, views, unique_users, is_final FROM view.page_window "
                        + "WHERE view_version = $1 AND page_id = $2 AND window_kind = 'tumbling' "
                        + "AND window_size = 'P1D' AND window_start >= $3 AND window_start < $4 ORDER BY window_start")
                .execute(Tuple.of(viewVersion, pageId, from.atStartOfDay().atOffset(ZoneOffset.UTC),
                        to.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC)))
                .map(rows -> {
                    List<DayCounts> days = new ArrayList<>(rows.size());
                    for (Row row : rows) {
                        days.add(new DayCounts(row.getOffsetDateTime("window_start")
                                .withOffsetSameInstant(ZoneOffset.UTC).toLocalDate(), row.getLong("views"),
                                row.getLong("unique_users"), row.getBoolean("is_final")));
                    }
                    return days;
                });
    }

    /** Deletes the rows of every view version but {@code serving}; returns how many. */
    public Uni<Integer> dropAllBut(int serving) {
        return pool.preparedQuery("DELETE FROM view.page_window WHERE view_version <> $1")
                .execute(Tuple.of(serving)).map(rows -> rows.rowCount());
    }
}
