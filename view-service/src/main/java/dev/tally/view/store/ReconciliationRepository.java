package dev.tally.view.store;

import dev.tally.view.domain.DriftTotals;
import dev.tally.view.domain.KeyDrift;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins the served batch run's rows with the speed layer's 1-day windows, key by key (page, UTC day), inside the
 * run's coverage. The totals are aggregated in PostgreSQL, so they cover every key however many there are; the
 * keys themselves are listed up to a limit. Plain SQL on the reactive pool, as the summary's reads: no Hibernate
 * session is opened for it, neither by the endpoint nor by the reconciliation every minute.
 */
@ApplicationScoped
public class ReconciliationRepository {

    @jakarta.inject.Inject
    ServingVersions serving;

    @jakarta.inject.Inject
    Pool pool;

    /**
     * What to compare.
     *
     * @param runId  the batch run
     * @param from   the first day, or null for every day the run covers
     * @param to     the last day, at most the run's last covered day
     * @param pageId one page, or null for all
     */
    public record Scope(String runId, LocalDate from, LocalDate to, String pageId) {
    }

    public Uni<DriftTotals> totals(Scope scope) {
        List<Object> params = new ArrayList<>();
        String sql = keys(scope, params) + """
                select count(*) filter (where bv is not null and sv is not null),
                       count(*) filter (where bv is not null and sv is not null and (bv <> sv or bu <> su)),
                       count(*) filter (where sv is null),
                       count(*) filter (where bv is null),
                       coalesce(sum(bv), 0)::bigint, coalesce(sum(sv), 0)::bigint,
                       coalesce(sum(abs(coalesce(sv, 0) - coalesce(bv, 0))), 0)::bigint,
                       coalesce(sum(bu), 0)::bigint, coalesce(sum(su), 0)::bigint,
                       coalesce(sum(abs(coalesce(su, 0) - coalesce(bu, 0))), 0)::bigint
                from k""";
        return pool.preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            Row r = rows.iterator().next();
            return new DriftTotals(r.getLong(0), r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5),
                    r.getLong(6), r.getLong(7), r.getLong(8), r.getLong(9));
        });
    }

    /** The keys in scope by page and day, only those that differ when {@code differingOnly}, at most {@code limit}. */
    public Uni<List<KeyDrift>> keys(Scope scope, boolean differingOnly, int limit) {
        List<Object> params = new ArrayList<>();
        String sql = keys(scope, params) + """
                select page_id, to_char(day, 'YYYY-MM-DD'), bv, bu, sv, su, sf from k
                """ + (differingOnly
                ? "where bv is null or sv is null or bv <> sv or bu <> su\n" : "")
                + "order by page_id, day limit " + parameter(params, limit);
        return pool.preparedQuery(sql).execute(Tuple.from(params)).map(rows -> {
            List<KeyDrift> keys = new ArrayList<>();
            for (Row r : rows) {
                keys.add(new KeyDrift(r.getString(0), LocalDate.parse(r.getString(1)), r.getLong(2), r.getLong(3),
                        r.getLong(4), r.getLong(5), r.getBoolean(6)));
            }
            return keys;
        });
    }

    /** Adds {@code value} to the statement's parameters; its placeholder ({@code $n}). */
    private static String parameter(List<Object> params, Object value) {
        params.add(value);
        return "$" + params.size();
    }

    /** The common table {@code k}: one row per key either layer has in scope, a layer's figures null if it has none. */
    private String keys(Scope scope, List<Object> params) {
        StringBuilder batch = new StringBuilder("run_id = " + parameter(params, scope.runId()) + " and day <= "
                + parameter(params, scope.to()));
        StringBuilder speed = new StringBuilder("view_version = " + parameter(params, serving.current())
                + " and window_kind = 'tumbling' and window_size = 'P1D' and window_start < "
                + parameter(params, OffsetDateTime.of(scope.to().plusDays(1).atStartOfDay(), ZoneOffset.UTC)));
        if (scope.from() != null) {
            batch.append(" and day >= ").append(parameter(params, scope.from()));
            speed.append(" and window_start >= ")
                    .append(parameter(params, OffsetDateTime.of(scope.from().atStartOfDay(), ZoneOffset.UTC)));
        }
        if (scope.pageId() != null) {
            String page = parameter(params, scope.pageId());
            batch.append(" and page_id = ").append(page);
            speed.append(" and page_id = ").append(page);
        }
        return """
                with b as (select page_id, day, total_views, unique_users from view.batch_row where %s),
                     s as (select page_id, (window_start at time zone 'UTC')::date as day, views, unique_users, is_final
                           from view.page_window where %s),
                     k as (select coalesce(b.page_id, s.page_id) as page_id, coalesce(b.day, s.day) as day,
                                  b.total_views as bv, b.unique_users as bu, s.views as sv, s.unique_users as su,
                                  s.is_final as sf
                           from b full join s on b.page_id = s.page_id and b.day = s.day)
                """.formatted(batch, speed);
    }

}
