package dev.tally.ingest.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.InvalidEvent.FieldError;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one JSON object into a {@link ClickEvent}, or into the list of every reason it is not one. Stamps
 * {@code received_at} and corrects the event time for device clock skew when {@code sent_at} is given:
 * {@code event_time + (received_at - sent_at)}, with the correction bounded by {@code maxSkew}.
 */
public final class EventValidator {
    /** Longest id (event, user, page) and type accepted. */
    public static final int MAX_ID_LENGTH = 128;

    private final Duration maxSkew;

    public EventValidator(Duration maxSkew) {
        this.maxSkew = maxSkew;
    }

    /** The outcome: exactly one of {@code event} and {@code errors} is meaningful. */
    public record Result(ClickEvent event, List<FieldError> errors) {
        public boolean valid() {
            return errors.isEmpty();
        }
    }

    public Result validate(JsonNode node, Instant receivedAt) {
        List<FieldError> errors = new ArrayList<>();
        if (node == null || !node.isObject()) {
            errors.add(new FieldError("", "an event must be a JSON object"));
            return new Result(null, errors);
        }
        String eventId = id(node, "event_id", errors);
        String userId = id(node, "user_id", errors);
        String pageId = id(node, "page_id", errors);
        String type = id(node, "type", errors);
        Instant eventTime = time(node, "event_time", true, errors);
        Instant sentAt = time(node, "sent_at", false, errors);
        Double value = null;
        JsonNode valueNode = node.get("value");
        if (valueNode != null && !valueNode.isNull()) {
            if (!valueNode.isNumber() || !Double.isFinite(valueNode.asDouble())) {
                errors.add(new FieldError("value", "must be a finite number"));
            } else {
                value = valueNode.asDouble();
            }
        }
        Map<String, String> attrs = null;
        JsonNode attrsNode = node.get("attrs");
        if (attrsNode != null && !attrsNode.isNull()) {
            if (!attrsNode.isObject()) {
                errors.add(new FieldError("attrs", "must be an object of strings"));
            } else {
                attrs = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> entry : attrsNode.properties()) {
                    if (!entry.getValue().isTextual()) {
                        errors.add(new FieldError("attrs." + entry.getKey(), "must be a string"));
                    } else {
                        attrs.put(entry.getKey(), entry.getValue().asText());
                    }
                }
            }
        }
        if (!errors.isEmpty()) {
            return new Result(null, errors);
        }
        Instant corrected = sentAt == null ? eventTime : eventTime.plus(boundedSkew(sentAt, receivedAt));
        return new Result(new ClickEvent(eventId, userId, pageId, type, corrected, sentAt, receivedAt, value, attrs),
                List.of());
    }

    /** How far the device clock is behind ingest's, limited to {@code ±maxSkew}. */
    Duration boundedSkew(Instant sentAt, Instant receivedAt) {
        Duration skew = Duration.between(sentAt, receivedAt);
        if (skew.compareTo(maxSkew) > 0) {
            return maxSkew;
        }
        if (skew.compareTo(maxSkew.negated()) < 0) {
            return maxSkew.negated();
        }
        return skew;
    }

    private static String id(JsonNode node, String field, List<FieldError> errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            errors.add(new FieldError(field, "is required"));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, "must be a string"));
            return null;
        }
        String text = value.asText();
        if (text.isBlank()) {
            errors.add(new FieldError(field, "must not be blank"));
            return null;
        }
        if (text.length() > MAX_ID_LENGTH) {
            errors.add(new FieldError(field, "must be at most " + MAX_ID_LENGTH + " characters, not " + text.length()));
            return null;
        }
        return text;
    }

    private static Instant time(JsonNode node, String field, boolean required, List<FieldError> errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new FieldError(field, "is required"));
            }
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, "must be an ISO-8601 timestamp with offset, as a string"));
            return null;
        }
        try {
            return OffsetDateTime.parse(value.asText()).toInstant();
        } catch (DateTimeParseException e) {
            errors.add(new FieldError(field, "must be an ISO-8601 timestamp with offset, like "
                    + "2026-11-23T08:15:30Z, not '" + abbreviate(value.asText()) + "'"));
            return null;
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
