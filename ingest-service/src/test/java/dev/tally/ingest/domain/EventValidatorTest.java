package dev.tally.ingest.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every reason an event is refused, and the clock-skew correction. */
class EventValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final EventValidator validator = new EventValidator(new ValidationRules(Duration.ofHours(1),
            Duration.ofHours(1), Duration.ofDays(30), 32 * 1024, 3, 10, Set.of()));

    private static final String VALID = """
            {"event_id":"e1","user_id":"u1","page_id":"home","type":"view","event_time":"2026-11-23T11:00:00Z"}""";

    private EventValidator.Result validate(String json) throws Exception {
        return validator.validate(JSON.readTree(json), json.length(), NOW);
    }

    private static String with(String field, String jsonValue) {
        return VALID.substring(0, VALID.length() - 1) + ",\"" + field + "\":" + jsonValue + "}";
    }

    private static String without(String field) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(VALID);
        node.remove(field);
        return node.toString();
    }

    private void assertRefused(String json, String code, String field, String reasonStart) throws Exception {
        EventValidator.Result result = validate(json);
        assertTrue(!result.valid(), "refused: " + json);
        Violation violation = result.violations().stream().filter(v -> v.field().equals(field)).findFirst()
                .orElseThrow(() -> new AssertionError("no violation of " + field + " in " + result.violations()));
        assertEquals(code, violation.code(), violation.toString());
        assertTrue(violation.reason().startsWith(reasonStart), violation.reason());
    }

    @Test
    void aValidEventKeepsItsFieldsAndGetsReceivedAt() throws Exception {
        EventValidator.Result result = validate(with("attrs", "{\"country\":\"NL\"}"));
        assertTrue(result.valid(), result.violations().toString());
        assertEquals("e1", result.event().eventId());
        assertEquals(Instant.parse("2026-11-23T11:00:00Z"), result.event().eventTime());
        assertEquals(NOW, result.event().receivedAt());
        assertEquals("NL", result.event().attrs().get("country"));
    }

    @ParameterizedTest
    @CsvSource({"event_id", "user_id", "page_id", "type", "event_time"})
    void requiredFields(String field) throws Exception {
        assertRefused(without(field), Violation.REQUIRED, field, "is required");
    }

    @Test
    void typesOfFields() throws Exception {
        assertRefused(with("user_id", "42").replace("\"user_id\":\"u1\",", ""), Violation.TYPE, "user_id",
                "must be a string, not a number");
        assertRefused(VALID.replace("\"2026-11-23T11:00:00Z\"", "1763895600"), Violation.TYPE, "event_time",
                "must be an ISO-8601 timestamp with offset as a string");
        assertRefused(with("value", "\"12\""), Violation.TYPE, "value", "must be a number, not a string");
        assertRefused(with("attrs", "[1]"), Violation.TYPE, "attrs", "must be an object of strings, not an array");
        assertRefused(with("attrs", "{\"a\":1}"), Violation.TYPE, "attrs.a", "must be a string, not a number");
    }

    @Test
    void lengthsAndSizes() throws Exception {
        String longId = "x".repeat(129);
        assertRefused(VALID.replace("\"e1\"", "\"" + longId + "\""), Violation.LENGTH, "event_id",
                "must be at most 128 characters, not 129");
        assertRefused(VALID.replace("\"u1\"", "\"  \""), Violation.REQUIRED, "user_id", "must not be blank");
        assertRefused(with("attrs", "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\"}"), Violation.SIZE, "attrs",
                "has 4 entries; at most 3");
        assertRefused(with("attrs", "{\"a\":\"" + "v".repeat(11) + "\"}"), Violation.LENGTH, "attrs.a",
                "must be at most 10 characters, not 11");
        EventValidator.Result big = validator.validate(JSON.readTree(VALID), 40_000, NOW);
        assertEquals(Violation.SIZE, big.violations().get(0).code());
    }

    @Test
    void formatsAndRanges() throws Exception {
        assertRefused(VALID.replace("2026-11-23T11:00:00Z", "2026-11-23 11:00"), Violation.FORMAT, "event_time",
                "must be an ISO-8601 timestamp with offset, like 2026-11-23T08:15:30Z, not '2026-11-23 11:00'");
        assertRefused(VALID.replace("2026-11-23T11:00:00Z", "2026-11-23T11:00:00"), Violation.FORMAT, "event_time",
                "must be an ISO-8601 timestamp with offset");
        assertRefused(VALID.replace("2026-11-23T11:00:00Z", "2026-11-23T15:00:00Z"), Violation.RANGE, "event_time",
                "is 3 hours in the future; at most 60 minutes");
        assertRefused(VALID.replace("2026-11-23T11:00:00Z", "2026-09-01T00:00:00Z"), Violation.RANGE, "event_time",
                "is 83 days old; at most 30 days");
        assertRefused(with("value", "1e999"), Violation.RANGE, "value", "must be a finite number");
        assertRefused(VALID.replace("\"e1\"", "\"e\\u0000x\""), Violation.FORMAT, "event_id",
                "must not contain control characters");
        assertRefused(with("colour", "\"red\""), Violation.UNKNOWN_FIELD, "colour", "is not a field of a click event");
    }

    @Test
    void aTypeListRefusesOtherTypes() throws Exception {
        EventValidator strict = new EventValidator(new ValidationRules(Duration.ofHours(1), Duration.ofHours(1),
                Duration.ofDays(30), 32 * 1024, 3, 10, Set.of("view", "click")));
        JsonNode node = JSON.readTree(VALID.replace("\"view\"", "\"purchase\""));
        Violation violation = strict.validate(node, 10, NOW).violations().get(0);
        assertEquals(Violation.UNKNOWN_TYPE, violation.code());
        assertEquals("'purchase' is not one of [click, view]", violation.reason());
    }

    @Test
    void everyViolationIsReportedAtOnce() throws Exception {
        EventValidator.Result result = validate("{\"event_id\":1,\"page_id\":[],\"event_time\":\"soon\"}");
        assertEquals(List.of("event_id", "user_id", "page_id", "type", "event_time"),
                result.violations().stream().map(Violation::field).toList());
    }

    @Test
    void aNonObjectIsRefused() throws Exception {
        assertRefused("[1,2]", Violation.TYPE, "", "an event must be a JSON object");
    }

    @Test
    void sentAtCorrectsTheClockWithinTheBound() throws Exception {
        // the device is 10 minutes behind: sent_at 11:50 when ingest's clock says 12:00
        EventValidator.Result result = validate(with("sent_at", "\"2026-11-23T11:50:00Z\""));
        assertEquals(Instant.parse("2026-11-23T11:10:00Z"), result.event().eventTime());
        // 5 hours behind: the correction stops at 1 hour
        EventValidator.Result bounded = validate(with("sent_at", "\"2026-11-23T07:00:00Z\""));
        assertEquals(Instant.parse("2026-11-23T12:00:00Z"), bounded.event().eventTime());
    }
}
