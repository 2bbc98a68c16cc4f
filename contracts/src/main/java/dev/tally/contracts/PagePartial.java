package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/**
 * A record of {@link Topics#PAGE_PARTIALS}, version 1: the shuffle from stage 1 (one per partition of
 * {@code clicks}) to stage 2 (by page). Either a partial total ({@code type=partial}): the views and distinct users
 * of a page in a window among the users of one source partition, with a version per (source partition, page,
 * window) that only grows; or a watermark ({@code type=watermark}) of a source partition, sent to every partition
 * of the topic so that stage 2 can tell when a window is final, with {@code idle=true} when the source partition
 * has had nothing to read for the idle timeout (then it stops holding windows back).
 * <p>
 * For a window definition grouped by another key than the page, {@code page_id} holds the group's value and
 * {@code group_by} says what it is. {@code source_offset} is the next offset of the source partition after the
 * batch that produced the partial: the part of the log that the partial covers.
 * <p>
 * Stage 1 now sends its partials packed, many in one record (binary since 2026-11-25, JSON with
 * {@code type=partials} before; written and read by aggregator-service's {@code PartialPacks}); single partials of
 * this type are still read, for records written before. Watermarks are still sent as records of this type.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PagePartial(
        @JsonProperty("type") String type,
        @JsonProperty("source_partition") int sourcePartition,
        @JsonProperty("watermark") Instant watermark,
        @JsonProperty("spec") String spec,
        @JsonProperty("page_id") String pageId,
        @JsonProperty("window") WindowRef window,
        @JsonProperty("views") Long views,
        @JsonProperty("unique_users") Long uniqueUsers,
        @JsonProperty("unique_method") String uniqueMethod,
        @JsonProperty("unique_error") Double uniqueError,
        @JsonProperty("value_sum") java.math.BigDecimal valueSum,
        @JsonProperty("version") Long version,
        @JsonProperty("idle") Boolean idle,
        @JsonProperty("group_by") String groupBy,
        @JsonProperty("source_offset") Long sourceOffset) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
    public static final String PARTIAL = "partial";
    public static final String WATERMARK = "watermark";

    public static PagePartial watermark(int sourcePartition, Instant watermark, boolean idle) {
        return new PagePartial(WATERMARK, sourcePartition, watermark, null, null, null, null, null, null, null, null,
                null, idle, null, null);
    }
}
