package dev.tally.view.store;

import dev.tally.contracts.WindowResult;
import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import java.time.Instant;
import java.util.List;

/** Reads and writes the serving table of page-stats. */
@ApplicationScoped
public class PageWindowRepository implements PanacheRepositoryBase<PageWindow, String> {

    /**
     * Applies {@code result} only if it is newer than the stored version: redelivered and reordered records
     * change nothing, so at-least-once delivery has an exactly-once effect. Must run inside a transaction.
     *
     * @return true if the row changed
     */
    public Uni<Boolean> applyIfNewer(WindowResult result) {
        return findById(result.key(), LockModeType.PESSIMISTIC_WRITE).flatMap(existing -> {
            if (existing != null && existing.version >= result.version()) {
                return Uni.createFrom().item(false);
            }
            PageWindow row = existing != null ? existing : new PageWindow();
            row.pageId = result.pageId();
            row.windowKind = result.window().kind();
            row.windowSize = result.window().size();
            row.windowStart = result.window().start();
            row.windowEnd = result.window().end();
            row.views = result.views();
            row.uniqueUsers = result.uniqueUsers();
            row.version = result.version();
            row.isFinal = result.finalResult();
            row.updatedAt = Instant.now();
            if (existing != null) {
                return Uni.createFrom().item(true);
            }
            row.resultKey = result.key();
            return persist(row).replaceWith(true);
        });
    }

    /** The windows of one kind and size of {@code pageId} that start in [from, to), oldest first. */
    public Uni<List<PageWindow>> windows(String pageId, String kind, String size, Instant from, Instant to) {
        return list("pageId = ?1 and windowKind = ?2 and windowSize = ?3 and windowStart >= ?4 and windowStart < ?5 "
                + "order by windowStart", pageId, kind, size, from, to);
    }
}
