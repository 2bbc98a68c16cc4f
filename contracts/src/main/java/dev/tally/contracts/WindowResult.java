package dev.tally.contracts;


import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Map;

/**
 * The totals of one page in one window, as published on {@link Topics#PAGE_STATS}, version 1; or of one group in
 * one window, on {@link Topics#GROUP_STATS}, for a window definition grouped by another key than the page.
 *
 * @param pageId        the page; null for a definition grouped by another key
 * @param window        the window these totals cover
 * @param views         events counted in the window
 * @param uniqueUsers   distinct users in the window
 * @param version       grows with every update of this page and window; consumers apply only newer versions
 * @param finalResult   true once no further event can change the window (travels as {@code final})
 * @param watermark     the event-time watermark when this result was computed, or null if not tracked yet
 * @param sourceOffsets per partition of {@code clicks}, the next offset this result has read up to, when known
 * @param emittedAt     when the aggregator published this result
 * @param uniqueMethod  how {@code unique_users} was counted: {@code exact}, or {@code hll} (a sketch), or null
 * @param uniqueError   the relative error bound of {@code unique_users} at 95% confidence (0 when exact), or null
 * @param valueSum      the sum of the events' {@code value} (exact in decimal), or null when not computed
 * @param groupBy       what a definition grouped by another key than the page groups by ({@code user_id},
 *                      {@code type} or {@code attrs.<name>}); absent for pages
 * @param group         the value of {@code group_by} that these totals are of; absent for pages
 */
public record WindowResult(
        @JsonProperty("page_id") String pageId,
        @JsonProperty("window") WindowRef window,
        @JsonProperty("views") long views,
        @JsonProperty("unique_users") long uniqueUsers,
        @JsonProperty("version") long version,
        @JsonProperty("final") boolean finalResult,
        @JsonProperty("watermark") Instant watermark,
        @JsonProperty("source_offsets") Map<Integer, Long> sourceOffsets,
        @JsonProperty("emitted_at") Instant emittedAt,
        @JsonProperty("unique_method") String uniqueMethod,
        @JsonProperty("unique_error") Double uniqueError,
        @JsonProperty("value_sum") java.math.BigDecimal valueSum,
        @JsonProperty("group_by") @JsonInclude(JsonInclude.Include.NON_NULL) String groupBy,
        @JsonProperty("group") @JsonInclude(JsonInclude.Include.NON_NULL) String group) {

    /** A result whose unique users were counted exactly. */
    public WindowResult(String pageId, WindowRef window, long views, long uniqueUsers, long version,
                        boolean finalResult, Instant watermark, Map<Integer, Long> sourceOffsets, Instant emittedAt) {
        this(pageId, window, views, uniqueUsers, version, finalResult, watermark, sourceOffsets, emittedAt, "exact",
                0.0, null, null, null);
    }

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;

    /** The Kafka key: {@code page_id/window}, or {@code group_by=group/window}. */
    public String key() {
        return (groupBy == null ? pageId : groupBy + "=" + group) + "/" + window.key();
    }
}
