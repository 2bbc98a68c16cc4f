package dev.tally.view.store;

import dev.tally.view.domain.DriftTotals;
import dev.tally.view.domain.KeyDrift;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins the served batch run's rows with the speed layer's 1-day windows, key by key (page, UTC day), inside the
 * run's coverage. The totals are aggregated in PostgreSQL, so they cover every key however many there are; the
 * keys themselves are listed up to a limit.
 */
@ApplicationScoped
public class ReconciliationRepository {

    @jakarta.inject.Inject
    ServingVersions serving;

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
        Map<String, Object> params = new LinkedHashMap<>();
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
        return Panache.getSession().chain(session -> {
            var query = session.createNativeQuery(sql, Object[].class);
            params.forEach(query::setParameter);
            return query.getSingleResult();
        }).map(r -> new DriftTotals(n(r[0]), n(r[1]), n(r[2]), n(r[3]), n(r[4]), n(r[5]), n(r[6]), n(r[7]), n(r[8]),
                n(r[9])));
    }

    /** The keys in scope by page and day, only those that differ when {@code differingOnly}, at most {@code limit}. */
    public Uni<List<KeyDrift>> keys(Scope scope, boolean differingOnly, int limit) {
        Map<String, Object> params = new LinkedHashMap<>();
        String sql = keys(scope, params) + """
                select page_id, to_char(day, 'YYYY-MM-DD'), bv, bu, sv, su, sf from k
                """ + (differingOnly
                ? "where bv is null or sv is null or bv <> sv or bu <> su\n" : "")
                + "order by page_id, day limit :limit";
        params.put("limit", limit);
        return Panache.getSession().chain(session -> {
            var query = session.createNativeQuery(sql, Object[].class);
            params.forEach(query::setParameter);
            return query.getResultList();
        }).map(rows -> rows.stream().map(r -> new KeyDrift((String) r[0], LocalDate.parse((String) r[1]),
                nullable(r[2]), nullable(r[3]), nullable(r[4]), nullable(r[5]), (Boolean) r[6])).toList());
    }

    /** The common table {@code k}: one row per key either layer has in scope, a layer's figures null if it has none. */
    private String keys(Scope scope, Map<String, Object> params) {
        StringBuilder batch = new StringBuilder("run_id = :run and day <= :to");
        StringBuilder speed = new StringBuilder(
                "view_version = :viewVersion and window_kind = 'tumbling' and window_size = 'P1D' "
                        + "and window_start < :toEnd");
        params.put("viewVersion", serving.current());
        params.put("run", scope.runId());
        params.put("to", scope.to());
        params.put("toEnd", OffsetDateTime.of(scope.to().plusDays(1).atStartOfDay(), ZoneOffset.UTC));
        if (scope.from() != null) {
            batch.append(" and day >= :from");
            speed.append(" and window_start >= :fromStart");
            params.put("from", scope.from());
            params.put("fromStart", OffsetDateTime.of(scope.from().atStartOfDay(), ZoneOffset.UTC));
        }
        if (scope.pageId() != null) {
            batch.append(" and page_id = :page");
            speed.append(" and page_id = :page");
            params.put("page", scope.pageId());
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

    private static long n(Object value) {
        return ((Number) value).longValue();
    }

    private static Long nullable(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }
}
