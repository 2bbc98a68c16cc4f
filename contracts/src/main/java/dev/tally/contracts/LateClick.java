package dev.tally.contracts;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;

/**
 * A click that arrived after some of its windows had closed, as published on {@link Topics#CLICKS_LATE}, version 1.
 * It was counted in its other windows; the batch layer counts it in all of them.
 *
 * @param event     the click
 * @param reason    why, in words
 * @param missed    the windows it missed
 * @param watermark the watermark of its partition when it was read
 */
public record LateClick(
        @JsonProperty("event") ClickEvent event,
        @JsonProperty("reason") String reason,
        @JsonProperty("missed") List<WindowRef> missed,
        @JsonProperty("watermark") Instant watermark) {

    /** The value of the {@link Headers#SCHEMA_VERSION} header for this record type. */
    public static final int SCHEMA_VERSION = 1;
}
