package dev.tally.aggregator.domain;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.tally.contracts.ClickEvent;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * The four fields of a ClickEvent that the daily summary needs ({@code event_id}, {@code user_id}, {@code page_id},
 * {@code event_time}), read from its JSON bytes with a streaming parser: the batch job reads millions of events, and
 * binding each to a {@link ClickEvent} (every field, a map of attributes, an {@link Instant} per time) cost most of
 * its time. One instance is reused for every event of a job; {@link #parse} overwrites it.
 * <p>
 * What counts as readable is the same on every path of the batch layer (Kafka and files): a JSON object with
 * {@code event_id}, {@code user_id} and {@code page_id} as scalars and {@code event_time} as an ISO-8601 string with
 * an offset, nothing after the object; other fields are skipped unread, as the stream's reader ignores fields it
 * does not know. {@code event_time} on {@code clicks} is already corrected for clock skew by ingest.
 */
public final class ClickFields {
    private static final JsonFactory JSON = new JsonFactory();
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final long NOT_FAST = Long.MIN_VALUE;

    char[] eventId = new char[64];
    int eventIdLength;
    char[] userId = new char[64];
    int userIdLength;
    char[] pageId = new char[64];
    int pageIdLength;
    long eventTimeMillis;
    private String error;

    // the date of the previous event, which is nearly always the date of the next one
    private final char[] lastDate = new char[10];
    private long lastEpochDay = Long.MIN_VALUE;

    /**
     * Reads {@code data[offset, offset + length)}; false if it is not a readable click, with {@link #error()}
     * saying why.
     */
    public boolean parse(byte[] data, int offset, int length) {
        error = null;
        boolean id = false;
        boolean user = false;
        boolean page = false;
        boolean time = false;
        try (JsonParser parser = JSON.createParser(data, offset, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return fail("not a JSON object");
            }
            String name;
            while ((name = parser.nextFieldName()) != null) {
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "event_id" -> id = text(parser, value, Field.EVENT_ID);
                    case "user_id" -> user = text(parser, value, Field.USER_ID);
                    case "page_id" -> page = text(parser, value, Field.PAGE_ID);
                    case "event_time" -> {
                        if (value == JsonToken.VALUE_NULL) {
                            time = false;
                        } else if (value != JsonToken.VALUE_STRING) {
                            return fail("event_time must be an ISO-8601 string with an offset");
                        } else if (!time(parser.getTextCharacters(), parser.getTextOffset(),
                                parser.getTextLength())) {
                            return fail("event_time '" + parser.getText() + "' is not an ISO-8601 time with an offset");
                        } else {
                            time = true;
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                return fail("not a JSON object");
            }
            if (parser.nextToken() != null) {
                return fail("more than one JSON value on the line");
            }
        } catch (JsonProcessingException e) {
            return fail(e.getOriginalMessage());
        } catch (IOException e) {
            return fail(e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        if (!(id && user && page && time)) {
            return fail("event_id, user_id, page_id and event_time are required");
        }
        return true;
    }

    /** The same fields from a bound event (tests, and callers that already have one). */
    public static ClickFields of(ClickEvent event) {
        ClickFields fields = new ClickFields();
        fields.set(Field.EVENT_ID, event.eventId().toCharArray(), 0, event.eventId().length());
        fields.set(Field.USER_ID, event.userId().toCharArray(), 0, event.userId().length());
        fields.set(Field.PAGE_ID, event.pageId().toCharArray(), 0, event.pageId().length());
        fields.eventTimeMillis = event.eventTime().toEpochMilli();
        return fields;
    }

    public String error() {
        return error;
    }

    public String eventId() {
        return new String(eventId, 0, eventIdLength);
    }

    public String userId() {
        return new String(userId, 0, userIdLength);
    }

    public String pageId() {
        return new String(pageId, 0, pageIdLength);
    }

    /** The (corrected) event time, in milliseconds since the epoch. */
    public long eventTimeMillis() {
        return eventTimeMillis;
    }

    /** The UTC day of the event time, in days since the epoch. */
    public long epochDay() {
        return Math.floorDiv(eventTimeMillis, MILLIS_PER_DAY);
    }

    private enum Field { EVENT_ID, USER_ID, PAGE_ID }

    private boolean text(JsonParser parser, JsonToken value, Field field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return false;
        }
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
            throw new IllegalArgumentException(field.name().toLowerCase() + " must be a string");
        }
        set(field, parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
        return true;
    }

    private void set(Field field, char[] chars, int offset, int length) {
        switch (field) {
            case EVENT_ID -> {
                eventId = fit(eventId, length);
                System.arraycopy(chars, offset, eventId, 0, length);
                eventIdLength = length;
            }
            case USER_ID -> {
                userId = fit(userId, length);
                System.arraycopy(chars, offset, userId, 0, length);
                userIdLength = length;
            }
            case PAGE_ID -> {
                pageId = fit(pageId, length);
                System.arraycopy(chars, offset, pageId, 0, length);
                pageIdLength = length;
            }
        }
    }

    private static char[] fit(char[] buffer, int length) {
        return buffer.length >= length ? buffer : new char[Math.max(length, buffer.length * 2)];
    }

    private boolean fail(String why) {
        error = why == null ? "unreadable" : why;
        return false;
    }

    /**
     * Parses the common form {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)} without allocating; anything else
     * goes through {@link DateTimeFormatter#ISO_INSTANT}, which is how a {@link ClickEvent}'s time is read.
     */
    boolean time(char[] c, int o, int n) {
        long fast = fastTime(c, o, n);
        if (fast != NOT_FAST) {
            eventTimeMillis = fast;
            return true;
        }
        try {
            eventTimeMillis = Instant.from(DateTimeFormatter.ISO_INSTANT.parse(new String(c, o, n))).toEpochMilli();
            return true;
        } catch (DateTimeException | ArithmeticException e) {
            return false;
        }
    }

    private long fastTime(char[] c, int o, int n) {
        if (n < 20 || c[o + 4] != '-' || c[o + 7] != '-' || (c[o + 10] != 'T') || c[o + 13] != ':'
                || c[o + 16] != ':') {
            return NOT_FAST;
        }
        int hour = digits2(c, o + 11);
        int minute = digits2(c, o + 14);
        int second = digits2(c, o + 17);
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return NOT_FAST;
        }
        int at = o + 19;
        int end = o + n;
        long millis = 0;
        if (c[at] == '.') {
            at++;
            int digits = 0;
            int scale = 100;
            while (at < end && c[at] >= '0' && c[at] <= '9') {
                if (digits < 3) {
                    millis += (c[at] - '0') * scale;
                    scale /= 10;
                }
                digits++;
                at++;
            }
            if (digits == 0 || digits > 9) {
                return NOT_FAST;
            }
        }
        long offsetSeconds;
        if (at == end - 1 && c[at] == 'Z') {
            offsetSeconds = 0;
        } else if (at == end - 6 && (c[at] == '+' || c[at] == '-') && c[at + 3] == ':') {
            int oh = digits2(c, at + 1);
            int om = digits2(c, at + 4);
            if (oh < 0 || oh > 18 || om < 0 || om > 59 || (oh == 18 && om > 0)) {
                return NOT_FAST;
            }
            offsetSeconds = (c[at] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        } else {
            return NOT_FAST;
        }
        long epochDay = epochDay(c, o);
        if (epochDay == Long.MIN_VALUE) {
            return NOT_FAST;
        }
        return epochDay * MILLIS_PER_DAY + (hour * 3600L + minute * 60L + second - offsetSeconds) * 1000L + millis;
    }

    private long epochDay(char[] c, int o) {
        boolean same = lastEpochDay != Long.MIN_VALUE;
        for (int i = 0; same && i < 10; i++) {
            same = lastDate[i] == c[o + i];
        }
        if (same) {
            return lastEpochDay;
        }
        int year = digits2(c, o) * 100 + digits2(c, o + 2);
        int month = digits2(c, o + 5);
        int day = digits2(c, o + 8);
        if (digits2(c, o) < 0 || digits2(c, o + 2) < 0 || month < 0 || day < 0) {
            return Long.MIN_VALUE;
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return Long.MIN_VALUE;
        }
        System.arraycopy(c, o, lastDate, 0, 10);
        lastEpochDay = epochDay;
        return epochDay;
    }

    private static int digits2(char[] c, int at) {
        char a = c[at];
        char b = c[at + 1];
        if (a < '0' || a > '9' || b < '0' || b > '9') {
            return -1;
        }
        return (a - '0') * 10 + (b - '0');
    }
}
