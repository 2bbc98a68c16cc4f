package dev.tally.system;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * A click as a client sends it to {@code POST /events}: the test's own record of what it sent, from which it
 * computes the counts that the views must show.
 */
record Click(String eventId, String userId, String pageId, Instant eventTime) {

    /** The UTC day that the views count this click in. */
    LocalDate day() {
        return LocalDate.ofInstant(eventTime, ZoneOffset.UTC);
    }

    /** The request body, in the wire format of the click event (snake_case, ISO-8601 time with offset). */
    String toJson() {
        ObjectNode node = TallyClient.JSON.createObjectNode()
                .put("event_id", eventId)
                .put("user_id", userId)
                .put("page_id", pageId)
                .put("type", "view")
                .put("event_time", eventTime.toString());
        try {
            return TallyClient.JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
