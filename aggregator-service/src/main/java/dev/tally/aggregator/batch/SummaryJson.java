package dev.tally.aggregator.batch;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.tally.aggregator.domain.DailyCounts;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The one layout of a daily summary as a file: a JSON array of {@code {"page_id", "date", "total_views",
 * "unique_users"}}, one row per line, in the order given. {@code ./tally batch} writes it and
 * {@code GET /admin/batch-runs/{id}/summary} answers it, so that a run over files and a run over Kafka can be
 * compared byte for byte.
 */
public final class SummaryJson {

    /** The summary of {@code rows} (already sorted by {@link DailyCounts#ROW_ORDER}) as UTF-8 bytes. */
    public static byte[] write(List<DailyCounts.Row> rows) {
        StringBuilder out = new StringBuilder(64 + rows.size() * 96);
        out.append("[\n");
        for (int i = 0; i < rows.size(); i++) {
            DailyCounts.Row row = rows.get(i);
            out.append("  {\"page_id\":\"");
            JsonStringEncoder.getInstance().quoteAsString(row.pageId(), out);
            out.append("\",\"date\":\"").append(row.date()).append("\",\"total_views\":").append(row.views())
                    .append(",\"unique_users\":").append(row.uniqueUsers()).append('}')
                    .append(i + 1 < rows.size() ? ",\n" : "\n");
        }
        out.append("]\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private SummaryJson() {
    }
}
