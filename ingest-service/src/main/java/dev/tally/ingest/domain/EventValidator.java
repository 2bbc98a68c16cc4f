package dev.tally.ingest.domain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.json.IsoInstants;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one JSON object into a {@link ClickEvent}, or into the list of every reason it is not one. Stamps
 * {@code received_at} and corrects the event time for device clock skew when {@code sent_at} is given:
 * {@code event_time + (received_at - sent_at)}, with the correction bounded by the rules.
 */
public final class EventValidator {
    /** Longest id (event, user, page) and type accepted. */
    public static final int MAX_ID_LENGTH = 128;
    private static final Set<String> FIELDS = Set.of("event_id", "user_id", "page_id", "type", "event_time",
            "sent_at", "value", "attrs");

    private final ValidationRules rules;

    public EventValidator(ValidationRules rules) {
        this.rules = rules;
    }

    /** The outcome: exactly one of {@code event} and {@code violations} is meaningful. */
    public record Result(ClickEvent event, List<Violation> violations) {
        public boolean valid() {
            return violations.isEmpty();
        }

        static Result invalid(Violation violation) {
            return new Result(null, List.of(violation));
        }
    }

    /** Validates an event whose JSON text was {@code bytes} long. */
    public Result validate(JsonNode node, int bytes, Instant receivedAt) {
        if (bytes > rules.maxEventBytes()) {
            return Result.invalid(new Violation(Violation.SIZE, "", "the event is " + bytes
                    + " bytes; at most " + rules.maxEventBytes() + " are accepted"));
        }
        if (node == null || !node.isObject()) {
            return Result.invalid(new Violation(Violation.TYPE, "", "an event must be a JSON object"));
        }
        List<Violation> errors = new ArrayList<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add(new Violation(Violation.UNKNOWN_FIELD, printable(name), "is not a field of a click event "
                        + "(known: event_id, user_id, page_id, type, event_time, sent_at, value, attrs)"));
            }
        }
        String eventId = id(node, "event_id", errors);
        String userId = id(node, "user_id", errors);
        String pageId = id(node, "page_id", errors);
        String type = id(node, "type", errors);
        if (type != null && !rules.types().isEmpty() && !rules.types().contains(type)) {
            errors.add(new Violation(Violation.UNKNOWN_TYPE, "type", "'" + type + "' is not one of "
                    + rules.types().stream().sorted().toList()));
        }
        Instant eventTime = time(node, "event_time", true, errors);
        Instant sentAt = time(node, "sent_at", false, errors);
        Double value = value(node, errors);
        Map<String, String> attrs = attrs(node, errors);
        if (!errors.isEmpty()) {
            return new Result(null, errors);
        }
        Instant corrected = sentAt == null ? eventTime : eventTime.plus(boundedSkew(sentAt, receivedAt));
        if (corrected.isAfter(receivedAt.plus(rules.maxFuture()))) {
            return Result.invalid(new Violation(Violation.RANGE, "event_time", "is " + describe(
                    Duration.between(receivedAt, corrected)) + " in the future; at most " + describe(rules.maxFuture())
                    + " is accepted"));
        }
        if (corrected.isBefore(receivedAt.minus(rules.maxAge()))) {
            return Result.invalid(new Violation(Violation.RANGE, "event_time", "is " + describe(
                    Duration.between(corrected, receivedAt)) + " old; at most " + describe(rules.maxAge())
                    + " is accepted"));
        }
        return new Result(new ClickEvent(eventId, userId, pageId, type, corrected, sentAt, receivedAt, value, attrs),
                List.of());
    }

    /** How far the device clock is behind ingest's, limited to the rules' bound either way. */
    Duration boundedSkew(Instant sentAt, Instant receivedAt) {
        Duration skew = Duration.between(sentAt, receivedAt);
        if (skew.compareTo(rules.maxClockSkew()) > 0) {
            return rules.maxClockSkew();
        }
        if (skew.compareTo(rules.maxClockSkew().negated()) < 0) {
            return rules.maxClockSkew().negated();
        }
        return skew;
    }

    private static String id(JsonNode node, String field, List<Violation> errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            errors.add(new Violation(Violation.REQUIRED, field, "is required"));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new Violation(Violation.TYPE, field, "must be a string, not " + kind(value)));
            return null;
        }
        String text = value.asText();
        if (text.isBlank()) {
            errors.add(new Violation(Violation.REQUIRED, field, "must not be blank"));
            return null;
        }
        if (text.length() > MAX_ID_LENGTH) {
            errors.add(new Violation(Violation.LENGTH, field, "must be at most " + MAX_ID_LENGTH
                    + " characters, not " + text.length()));
            return null;
        }
        if (hasControlCharacter(text)) {
            errors.add(new Violation(Violation.FORMAT, field, "must not contain control characters"));
            return null;
        }
        return text;
    }

    private static Instant time(JsonNode node, String field, boolean required, List<Violation> errors) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new Violation(Violation.REQUIRED, field, "is required"));
            }
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new Violation(Violation.TYPE, field, "must be an ISO-8601 timestamp with offset as a string, "
                    + "not " + kind(value)));
            return null;
        }
        try {
            return IsoInstants.parse(value.asText()); // as OffsetDateTime.parse, faster for UTC
        } catch (DateTimeParseException e) {
            errors.add(new Violation(Violation.FORMAT, field, "must be an ISO-8601 timestamp with offset, like "
                    + "2026-11-23T08:15:30Z, not '" + printable(abbreviate(value.asText())) + "'"));
            return null;
        }
    }

    private static Double value(JsonNode node, List<Violation> errors) {
        JsonNode value = node.get("value");
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            errors.add(new Violation(Violation.TYPE, "value", "must be a number, not " + kind(value)));
            return null;
        }
        double number = value.asDouble();
        if (!Double.isFinite(number)) {
            errors.add(new Violation(Violation.RANGE, "value", "must be a finite number (a double)"));
            return null;
        }
        return number;
    }

    private Map<String, String> attrs(JsonNode node, List<Violation> errors) {
        JsonNode attrs = node.get("attrs");
        if (attrs == null || attrs.isNull()) {
            return null;
        }
        if (!attrs.isObject()) {
            errors.add(new Violation(Violation.TYPE, "attrs", "must be an object of strings, not " + kind(attrs)));
            return null;
        }
        if (attrs.size() > rules.maxAttrs()) {
            errors.add(new Violation(Violation.SIZE, "attrs", "has " + attrs.size() + " entries; at most "
                    + rules.maxAttrs() + " are accepted"));
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : attrs.properties()) {
            String field = "attrs." + printable(abbreviate(entry.getKey()));
            if (entry.getKey().length() > rules.maxAttrLength()) {
                errors.add(new Violation(Violation.LENGTH, field, "the key must be at most " + rules.maxAttrLength()
                        + " characters, not " + entry.getKey().length()));
            } else if (!entry.getValue().isTextual()) {
                errors.add(new Violation(Violation.TYPE, field, "must be a string, not " + kind(entry.getValue())));
            } else if (entry.getValue().asText().length() > rules.maxAttrLength()) {
                errors.add(new Violation(Violation.LENGTH, field, "must be at most " + rules.maxAttrLength()
                        + " characters, not " + entry.getValue().asText().length()));
            } else {
                result.put(entry.getKey(), entry.getValue().asText());
            }
        }
        return result;
    }

    private static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            default -> "null";
        };
    }

    private static boolean hasControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Control characters in a name or value would garble a log line or an answer: show them escaped. */
    private static String printable(String text) {
        if (!hasControlCharacter(text)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    private static String describe(Duration duration) {
        if (duration.toDays() >= 2) {
            return duration.toDays() + " days";
        }
        if (duration.toHours() >= 2) {
            return duration.toHours() + " hours";
        }
        if (duration.toMinutes() >= 2) {
            return duration.toMinutes() + " minutes";
        }
        return duration.toSeconds() + " seconds";
    }
}
