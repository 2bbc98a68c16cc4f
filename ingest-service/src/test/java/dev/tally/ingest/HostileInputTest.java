package dev.tally.ingest;

import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of generated malformed and hostile bodies (random bytes, invalid UTF-8, deep nesting, huge numbers,
 * control characters, wrong types, truncated JSON) against both endpoints: every answer is a 4xx problem+json, or
 * for a well-formed batch a 200 that accepted nothing; never a 5xx; and the service stays healthy.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
@Order(4)
class HostileInputTest {
    private static final int BODIES = 1500;

    @TestHTTPResource("/")
    URL base;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A valid event's fields, at least one of them broken: never a valid event. */
    static Arbitrary<String> brokenEvents() {
        Arbitrary<String> junkValue = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(300).map(HostileInputTest::quote),
                Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMinLength(1).ofMaxLength(5)
                        .map(HostileInputTest::quote),
                Arbitraries.of("1e999999", "-1e999999", "123456789012345678901234567890123456789", "0.0000001",
                        "true", "null", "[]", "{}", "[1,[2,[3]]]", "\"\"", "\"2026-13-45T99:00:00Z\""),
                Arbitraries.integers().map(String::valueOf));
        Arbitrary<String> field = Arbitraries.of("event_id", "user_id", "page_id", "type", "event_time", "sent_at",
                "value", "attrs", "extra", "", "\u0000");
        return Combinators.combine(field, junkValue, Arbitraries.integers().between(0, 3)).as((name, value, drop) -> {
            List<String> parts = new ArrayList<>(List.of("\"event_id\":\"e\"", "\"user_id\":\"u\"",
                    "\"page_id\":\"p\"", "\"type\":\"view\"", "\"event_time\":\"2026-11-23T08:00:00Z\""));
            String missing = parts.remove((int) drop); // a required field is always missing...
            // ...and the junk field never puts it back (a duplicate key of another field is refused as well)
            String added = missing.startsWith(quote(name) + ":") ? "extra" : name;
            parts.add(quote(added) + ":" + value);
            return "{" + String.join(",", parts) + "}";
        });
    }

    static Arbitrary<byte[]> hostileBodies() {
        Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(2000);
        Arbitrary<byte[]> invalidUtf8 = brokenEvents().map(e -> {
            byte[] text = e.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[text.length + 2];
            System.arraycopy(text, 0, out, 0, text.length - 2);
            out[text.length - 2] = (byte) 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
            out[text.length - 1] = (byte) 0x28;
            out[text.length] = '"';
            out[text.length + 1] = '}';
            return out;
        });
        Arbitrary<byte[]> deep = Arbitraries.integers().between(500, 20_000).map(depth ->
                ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> deepObject = Arbitraries.integers().between(500, 5_000).map(depth ->
                ("{\"a\":".repeat(depth) + "1" + "}".repeat(depth)).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> truncated = Combinators.combine(brokenEvents(), Arbitraries.integers().between(1, 60))
                .as((e, cut) -> e.substring(0, Math.max(1, e.length() - cut)).getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> broken = brokenEvents().map(e -> e.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> arrays = brokenEvents().list().ofMinSize(1).ofMaxSize(20)
                .map(list -> ("[" + String.join(",", list) + "]").getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> scalars = Arbitraries.of("null", "true", "42", "\"text\"", "1e999999", " ", "\uFEFF{}")
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, randomBytes), net.jqwik.api.Tuple.of(2, invalidUtf8),
                net.jqwik.api.Tuple.of(1, deep), net.jqwik.api.Tuple.of(1, deepObject),
                net.jqwik.api.Tuple.of(2, truncated), net.jqwik.api.Tuple.of(4, broken),
                net.jqwik.api.Tuple.of(2, arrays), net.jqwik.api.Tuple.of(1, scalars));
    }

    @Test
    void noHostileBodyGetsA5xxOrIsAccepted() throws Exception {
        List<byte[]> bodies = hostileBodies().sampleStream().limit(BODIES).toList();
        int problems = 0;
        for (byte[] body : bodies) {
            for (String target : new String[] {"events", "events/batch"}) {
                String type = target.endsWith("batch") && body.length % 2 == 0 ? "application/x-ndjson"
                        : "application/json";
                HttpResponse<String> answer = post(target, type, body);
                int status = answer.statusCode();
                String shown = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
                if (status >= 500) {
                    fail(target + " answered " + status + " to: " + shown + "\n" + answer.body());
                }
                if (status / 100 == 2) {
                    assertTrue(target.endsWith("batch"), "a single hostile event was accepted: " + shown);
                    assertTrue(answer.body().contains("\"accepted\":0"), "a hostile batch had accepted events: "
                            + shown + "\n" + answer.body());
                } else {
                    problems++;
                    assertTrue(status / 100 == 4, status + " for " + shown);
                    assertEquals("application/problem+json",
                            answer.headers().firstValue("Content-Type").orElse(""), shown);
                    assertTrue(answer.body().contains("\"type\":\"https://tally.dev/problems/"), answer.body());
                }
            }
        }
        assertTrue(problems > BODIES, "most answers are problems: " + problems);
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        HttpResponse<String> stillWorks = post("events", "application/json", IngestTesting.event(
                IngestTesting.newId(), "u-after", "/after").getBytes(StandardCharsets.UTF_8));
        assertEquals(202, stillWorks.statusCode(), stillWorks.body());
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", contentType)
                        .header("Authorization", "Bearer " + IngestTesting.KEY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
