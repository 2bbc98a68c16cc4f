package dev.tally.aggregator.json;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IsoInstantsTest {

    @Test
    void readsWhatInstantWritesExactlyAsInstantParseDoes() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            long seconds = random.nextLong(-62_135_596_800L, 253_402_300_799L); // years 1 to 9999
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            String text = Instant.ofEpochSecond(seconds, nanos).toString();
            assertEquals(Instant.parse(text), IsoInstants.parse(text), text);
        }
        assertEquals(Instant.parse("2024-02-29T23:59:59.5Z"), IsoInstants.parse("2024-02-29T23:59:59.5Z"));
    }

    @Test
    void otherFormsGoThroughTheFullParserAndBadOnesFail() {
        assertEquals(Instant.parse("2026-11-23T09:35:10Z"), IsoInstants.parse("2026-11-23T10:35:10+01:00"));
        assertNull(IsoInstants.utc("2026-11-23T10:35:10+01:00"));
        assertNull(IsoInstants.utc("2026-02-30T10:35:10Z"), "no 30 February");
        assertNull(IsoInstants.utc("2026-11-23T24:00:00Z"));
        assertNull(IsoInstants.utc("2026-11-23T10:35:10.Z"));
        assertThrows(DateTimeParseException.class, () -> IsoInstants.parse("2026-02-30T10:35:10Z"));
        assertThrows(DateTimeParseException.class, () -> IsoInstants.parse("yesterday"));
    }
}
