package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import dev.tally.contracts.ClickEvent;
import dev.tally.testkit.KafkaTestClient;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClickFieldsTest {

    private static ClickFields parsed(String json) {
        ClickFields fields = new ClickFields();
        byte[] bytes = ("xx" + json + "yy").getBytes(StandardCharsets.UTF_8);
        assertTrue(fields.parse(bytes, 2, bytes.length - 4), json + ": " + fields.error());
        return fields;
    }

    private static String refused(String json) {
        ClickFields fields = new ClickFields();
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        assertFalse(fields.parse(bytes, 0, bytes.length), json);
        return fields.error();
    }

    @Test
    void readsTheFourFieldsAndSkipsTheRest() {
        ClickFields f = parsed("{\"attrs\":{\"ref\":\"x\",\"n\":[1,{\"a\":2}]},\"value\":1.5,\"event_id\":\"e\\u0031\","
                + "\"user_id\":\"al\\\"ice\",\"page_id\":\"/h\u00e9me\",\"type\":\"view\",\"sent_at\":null,"
                + "\"event_time\":\"2026-11-23T10:00:00.123Z\"}");
        assertEquals("e1", f.eventId());
        assertEquals("al\"ice", f.userId());
        assertEquals("/h\u00e9me", f.pageId());
        assertEquals(Instant.parse("2026-11-23T10:00:00.123Z").toEpochMilli(), f.eventTimeMillis());
    }

    @Test
    void readsEscapesUnicodeAndScalarIdsAsJsonDoes() {
        ClickFields f = parsed(" {\"ev\\u0065nt_id\":12.5e3 , \"user_id\":true,\"x\":[[],{},[1,-0.5,\"\\u00e9\"]],"
                + "\"page_id\":\"\\ud83d\\ude00 \uD83D\uDE00 \u4e2d \\/ \\t\",\"event_time\":\"2026-11-23T10:00:00Z\"}\r\n");
        assertEquals("12.5e3", f.eventId());
        assertEquals("true", f.userId());
        assertEquals("\uD83D\uDE00 \uD83D\uDE00 \u4e2d / \t", f.pageId());
    }

    @Test
    void refusesBrokenJsonInFieldsItDoesNotNeed() {
        String ok = "\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00Z\"";
        parsed("{" + ok + ",\"attrs\":{\"a\":[1,2,{\"b\":null}]}}");
        for (String bad : new String[] {"{" + ok + ",\"attrs\":{\"a\":[1,2,}}", "{" + ok + ",\"value\":01}",
                "{" + ok + ",\"value\":1.}", "{" + ok + ",\"type\":\"a\tb\"}", "{" + ok + ",\"type\":\"\\x\"}",
                "{" + ok + ",\"value\":nul}", "{" + ok + ",}", "{" + ok + " \"type\":1}", "{" + ok + ",\"attrs\":{1:2}}"}) {
            refused(bad);
        }
        ClickFields f = new ClickFields();
        byte[] notUtf8 = ("{" + ok.replace("\"p\"", "\"p\u0000\"") + "}").getBytes(StandardCharsets.UTF_8);
        notUtf8[indexOf(notUtf8, (byte) 0)] = (byte) 0xff;
        assertFalse(f.parse(notUtf8, 0, notUtf8.length));
        assertEquals("not UTF-8", f.error());
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void timesAreReadAsIsoInstantReadsThem() {
        for (String time : new String[] {"2026-11-23T10:00:00Z", "2026-11-23T10:00:00.5Z",
                "2026-11-23T10:00:00.123456789Z", "2026-11-23T01:00:00+02:00", "2026-11-23T23:30:00-05:30",
                "2024-02-29T00:00:00Z", "2026-11-23t10:00:00z", "+12026-11-23T10:00:00Z"}) {
            ClickFields f = parsed("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\""
                    + time + "\"}");
            long expected = Instant.from(java.time.format.DateTimeFormatter.ISO_INSTANT.parse(time)).toEpochMilli();
            assertEquals(expected, f.eventTimeMillis(), time);
            assertEquals(Math.floorDiv(expected, 86_400_000L), f.epochDay(), time);
        }
    }

    @Test
    void refusesWhatIsNotAClick() {
        assertEquals("event_id, user_id, page_id and event_time are required", refused("{\"event_id\":\"e9\"}"));
        assertEquals("event_id, user_id, page_id and event_time are required",
                refused("{\"event_id\":null,\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00Z\"}"));
        refused("{not json");
        refused("[1,2]");
        refused("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00Z\"");
        refused("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00Z\"} {}");
        refused("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-02-30T10:00:00Z\"}");
        refused("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00\"}");
        refused("{\"event_id\":\"e\",\"user_id\":\"u\",\"page_id\":\"p\",\"event_time\":1700000000}");
        refused("{\"event_id\":\"e\",\"user_id\":{\"a\":1},\"page_id\":\"p\",\"event_time\":\"2026-11-23T10:00:00Z\"}");
    }

    @Test
    void readsWhatStageOneCountsBy() {
        String ids = "\"event_id\":\"e1\",\"user_id\":\"u\",\"page_id\":\"p\",";
        ClickFields f = parsed("{" + ids + "\"event_time\":\"2026-11-23T10:00:00.123456789Z\",\"value\":-2.5e2}");
        assertEquals(Instant.parse("2026-11-23T10:00:00.123456789Z"), f.eventTime(), "to the nanosecond");
        assertEquals(-250.0, f.value());
        assertNull(parsed("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\",\"value\":null}").value());
        assertNull(parsed("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\"}").value());
        // stage 1 sums it: anything but a finite number makes the click unreadable, on every path
        assertEquals("value must be a number",
                refused("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\",\"value\":\"1.5\"}"));
        assertEquals("value must be a number",
                refused("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\",\"value\":true}"));
        assertEquals("value 1e400 is beyond a double's range",
                refused("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\",\"value\":1e400}"));
        assertArrayEquals(SeenEvents.fingerprint("e1"), f.eventIdFingerprint());

        // an id read plain from the bytes and the same id written with escapes: one shared copy, one fingerprint
        Interner interner = new Interner(100);
        ClickFields plain = parsed("{" + ids + "\"event_time\":\"2026-11-23T10:00:00Z\"}");
        String user = plain.userId(interner);
        String page = plain.pageId(interner);
        ClickFields escaped = parsed("{\"event_id\":\"\\u0065\\u0031\",\"user_id\":\"\\u0075\","
                + "\"page_id\":\"\\u0070\",\"event_time\":\"2026-11-23T10:00:00Z\"}");
        assertSame(user, escaped.userId(interner));
        assertSame(page, escaped.pageId(interner));
        assertEquals("u", user);
        assertArrayEquals(plain.eventIdFingerprint(), escaped.eventIdFingerprint());
        ClickFields unicode = parsed("{\"event_id\":\"\u00e9-\u4e2d\",\"user_id\":\"u\",\"page_id\":\"p\","
                + "\"event_time\":\"2026-11-23T10:00:00Z\"}");
        assertArrayEquals(SeenEvents.fingerprint("\u00e9-\u4e2d"), unicode.eventIdFingerprint());
    }

    @Test
    void readsWhatJacksonWritesAsJacksonReadsIt() throws Exception {
        Random random = new Random(7);
        String[] alphabet = {"a", "Z", "0", "-", "/", " ", "\"", "\\", "\u00e9", "\u4e2d", "\uD83D\uDE00", "\t"};
        for (int i = 0; i < 500; i++) {
            Instant time = Instant.ofEpochSecond(1_700_000_000L + random.nextInt(100_000_000),
                    random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
            ClickEvent event = new ClickEvent(text(random, alphabet), text(random, alphabet), text(random, alphabet),
                    "view", time, random.nextBoolean() ? null : time, time,
                    random.nextBoolean() ? null : random.nextGaussian() * 1e6,
                    random.nextBoolean() ? null : Map.of("ref", text(random, alphabet)));
            byte[] json = KafkaTestClient.JSON.writeValueAsBytes(event);
            ClickEvent bound = KafkaTestClient.JSON.readValue(json, ClickEvent.class);
            ClickFields f = new ClickFields();
            assertTrue(f.parse(json, 0, json.length), new String(json, StandardCharsets.UTF_8) + ": " + f.error());
            Interner interner = new Interner(10);
            assertEquals(bound.eventId(), f.eventId());
            assertEquals(bound.userId(), f.userId(interner));
            assertEquals(bound.pageId(), f.pageId(interner));
            assertEquals(bound.eventTime(), f.eventTime());
            assertEquals(bound.value(), f.value());
            assertArrayEquals(SeenEvents.fingerprint(bound.eventId()), f.eventIdFingerprint());
        }
    }

    private static String text(Random random, String[] alphabet) {
        StringBuilder text = new StringBuilder();
        for (int n = 1 + random.nextInt(12); n > 0; n--) {
            text.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return text.toString();
    }
}
