package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.Map;

/**
 * A step in the life of a view version, on {@link Topics#VIEW_VERSIONS} keyed by {@code version}, so that the
 * compacted topic keeps each version's latest state.
 *
 * @param version         the view version
 * @param state           {@code replaying} (being built from offset 0 beside the serving one), {@code serving}
 *                        (readers answer from it) or {@code retired} (dropped)
 * @param pageStatsOffsets for {@code serving}: per partition of this version's page-stats topic, the end offset
 *                        when it caught up; a reader switches once it has applied everything before them
 * @param at              when the step happened
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ViewVersionChange(
        @JsonProperty("version") int version,
        @JsonProperty("state") String state,
        @JsonProperty("page_stats_offsets") Map<Integer, Long> pageStatsOffsets,
        @JsonProperty("at") Instant at) {

    public static final String REPLAYING = "replaying";
    public static final String SERVING = "serving";
    public static final String RETIRED = "retired";

    /** The record key: the version, in decimal. */
    public String key() {
        return Integer.toString(version);
    }
}
