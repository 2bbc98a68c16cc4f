package dev.tally.contracts.json;

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
    void writesWhatInstantToStringWrites() {
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            long seconds = random.nextLong(-62_167_219_200L - 86_400L * 400, 253_402_300_799L + 86_400L * 400);
            int nanos = switch (i % 5) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                case 3 -> random.nextInt(10) * 100_000_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            assertEquals(instant.toString(), IsoInstants.format(instant), instant::toString);
        }
        for (String edge : new String[] {"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.000000001Z", "2024-02-29T12:00:00.100Z",
                "2000-03-01T00:00:00Z", "1900-02-28T23:59:59Z"}) {
            assertEquals(edge, IsoInstants.format(Instant.parse(edge)));
        }
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
