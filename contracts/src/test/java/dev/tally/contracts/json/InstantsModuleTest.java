package dev.tally.contracts.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** With the module, a message's JSON is the same as with the Java time module alone, both ways. */
class InstantsModuleTest {
    private static final ObjectMapper PLAIN = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final ObjectMapper FAST = new ObjectMapper().registerModule(new JavaTimeModule())
            .registerModule(new InstantsModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Test
    void aClickReadsAndWritesAsWithTheJavaTimeModule() throws Exception {
        ClickEvent click = new ClickEvent("e-1", "u-1", "/home", "view", Instant.parse("2026-11-24T10:15:30.120Z"),
                Instant.parse("2026-11-24T10:15:31Z"), Instant.parse("2026-11-24T10:15:31.000000001Z"), 2.5,
                Map.of("country", "DE"));
        String json = PLAIN.writeValueAsString(click);
        assertEquals(json, FAST.writeValueAsString(click));
        assertEquals(PLAIN.readValue(json, ClickEvent.class), FAST.readValue(json, ClickEvent.class));
        String offset = json.replace("\"2026-11-24T10:15:30.120Z\"", "\"2026-11-24T12:15:30.12+02:00\"");
        assertEquals(click, FAST.readValue(offset, ClickEvent.class));
        String epoch = json.replace("\"2026-11-24T10:15:30.120Z\"", click.eventTime().getEpochSecond() + ".120");
        assertEquals(click, FAST.readValue(epoch, ClickEvent.class));
        for (String other : new String[] {"yesterday", "", "1795428930", "2026-11-24T24:00:00Z"}) {
            String text = json.replace("2026-11-24T10:15:30.120Z", other);
            Object plain;
            try {
                plain = PLAIN.readValue(text, ClickEvent.class);
            } catch (Exception e) {
                plain = e.getClass();
            }
            Object fast;
            try {
                fast = FAST.readValue(text, ClickEvent.class);
            } catch (Exception e) {
                fast = e.getClass();
            }
            assertEquals(plain, fast, other);
        }
        assertThrows(InvalidFormatException.class, () -> FAST.readValue(
                json.replace("2026-11-24T10:15:30.120Z", "yesterday"), ClickEvent.class));
    }
}
