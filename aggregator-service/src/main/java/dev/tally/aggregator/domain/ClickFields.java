package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import dev.tally.contracts.json.IsoInstants;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * The fields of a ClickEvent that the daily summary and stage 1 count by ({@code event_id}, {@code user_id},
 * {@code page_id}, {@code event_time}, and for stage 1 {@code value}), read from its JSON bytes by a small strict
 * JSON reader that decodes those and only checks and steps over the rest: the batch job reads millions of events,
 * and binding each to a {@link ClickEvent} (every field, a map of attributes, an {@link Instant} per time) or even
 * creating a Jackson parser per event cost most of its time. One instance is reused for every event of a job or
 * of a consumer's thread; {@link #parse} overwrites it.
 * <p>
 * What counts as readable is the same on every path of the batch layer (Kafka and files) and in stage 1 of the
 * stream: a JSON object with {@code event_id}, {@code user_id} and {@code page_id} as scalars and {@code event_time}
 * as an ISO-8601 string with an offset, nothing after the object; other fields are checked as JSON and skipped.
 * A {@code value} must be a JSON number within a double's range, or null (stage 1 sums it).
 * {@code event_time} on {@code clicks} is already corrected for clock skew by ingest.
 */
public final class ClickFields {
    private static final long MILLIS_PER_DAY = 86_400_000L;

    char[] eventId = new char[64];
    int eventIdLength;
    char[] userId = new char[64];
    int userIdLength;
    char[] pageId = new char[64];
    int pageIdLength;
    long eventTimeMillis;
    private long eventTimeSeconds;
    private int eventTimeNanos;
    /** {@code value}: null if absent or null. */
    private Double value;
    private String error;
    /**
     * The input of the last parse, and per id field ({@code EVENT_ID}, {@code USER_ID}, {@code PAGE_ID}) where its
     * value lies in it, or -1 if it was decoded into its char buffer instead. Nearly every id is plain ASCII
     * without escapes: those are interned straight from the input's bytes ({@link #intern}), not copied first.
     */
    private byte[] source;
    private final int[] rawStart = {-1, -1, -1};

    // the date of the previous event, which is nearly always the date of the next one
    private final CharsView timeView = new CharsView();
    private final long[] timeFields = new long[2];

    /**
     * Reads {@code data[offset, offset + length)}; false if it is not a readable click, with {@link #error()}
     * saying why.
     */
    public boolean parse(byte[] data, int offset, int length) {
        error = null;
        eventIdLength = -1;
        userIdLength = -1;
        pageIdLength = -1;
        value = null;
        boolean time = false;
        in = data;
        source = data;
        rawStart[EVENT_ID] = -1;
        rawStart[USER_ID] = -1;
        rawStart[PAGE_ID] = -1;
        at = offset;
        end = offset + length;
        try {
            space();
            expect('{');
            space();
            if (peek() == '}') {
                at++;
            } else {
                while (true) {
                    space();
                    int field = key();
                    space();
                    expect(':');
                    space();
                    switch (field) {
                        case EVENT_ID -> eventIdLength = scalar(EVENT_ID);
                        case USER_ID -> userIdLength = scalar(USER_ID);
                        case PAGE_ID -> pageIdLength = scalar(PAGE_ID);
                        case VALUE -> readValue();
                        case EVENT_TIME -> {
                            byte first = peek();
                            if (first == 'n') {
                                literal("null");
                                time = false;
                            } else if (first != '"') {
                                return fail("event_time must be an ISO-8601 string with an offset");
                            } else {
                                int n = string(TIME);
                                if (!time(timeBuffer, 0, n)) {
                                    return fail("event_time '" + new String(timeBuffer, 0, n)
                                            + "' is not an ISO-8601 time with an offset");
                                }
                                time = true;
                            }
                        }
                        default -> skipValue(0);
                    }
                    space();
                    byte next = take();
                    if (next == '}') {
                        break;
                    }
                    if (next != ',') {
                        throw new Unreadable("expected ',' or '}' at byte " + (at - 1 - offset));
                    }
                }
            }
            space();
            if (at < end) {
                return fail("more than one JSON value on the line");
            }
        } catch (Unreadable e) {
            return fail(e.getMessage());
        } catch (RuntimeException e) {
            return fail("unreadable: " + e);
        } finally {
            in = null;
        }
        if (eventIdLength < 0 || userIdLength < 0 || pageIdLength < 0 || !time) {
            return fail("event_id, user_id, page_id and event_time are required");
        }
        return true;
    }

    // --- a strict JSON reader for one object, over bytes: reads the four fields, checks and skips the rest ---

    private static final int OTHER = -1;
    private static final int EVENT_ID = 0;
    private static final int USER_ID = 1;
    private static final int PAGE_ID = 2;
    private static final int EVENT_TIME = 3;
    private static final int VALUE = 4;
    private static final int TIME = 5;
    private static final int KEY = 6;
    private static final byte[][] NAMES = {"event_id".getBytes(StandardCharsets.US_ASCII),
            "user_id".getBytes(StandardCharsets.US_ASCII), "page_id".getBytes(StandardCharsets.US_ASCII),
            "event_time".getBytes(StandardCharsets.US_ASCII), "value".getBytes(StandardCharsets.US_ASCII)};
    private static final int MAX_DEPTH = 1000;

    private byte[] in;
    private int at;
    private int end;
    private char[] timeBuffer = new char[64];
    private char[] keyBuffer = new char[64];

    /** Why a line is not readable; thrown only on bad input, so without a stack trace. */
    private static final class Unreadable extends RuntimeException {
        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    private byte peek() {
        if (at >= end) {
            throw new Unreadable("unexpected end of input");
        }
        return in[at];
    }

    private byte take() {
        if (at >= end) {
            throw new Unreadable("unexpected end of input");
        }
        return in[at++];
    }

    private void expect(char c) {
        if (take() != c) {
            throw new Unreadable("expected '" + c + "'");
        }
    }

    private void space() {
        while (at < end) {
            byte b = in[at];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
            at++;
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /**
     * Where the plain ASCII run from {@code from} ends: the index of the first quote, backslash, control character or
     * byte of a multi-byte sequence (a signed byte below 0x20), or {@code end}. Strings are most of an event's
     * bytes, so they are stepped over eight bytes at a time while none of those is special.
     */
    private int plainEnd(int from) {
        int i = from;
        while (i + 8 <= end) {
            long x = (long) LONGS.get(in, i);
            long special = (x - 0x2020202020202020L) | x // below 0x20, or 0x80 and above
                    | ((x ^ 0x2222222222222222L) - ONES) // '"'
                    | ((x ^ 0x5c5c5c5c5c5c5c5cL) - ONES); // '\\'
            if ((special & HIGHS) != 0) {
                break; // perhaps a false alarm (a borrow): the bytes below decide
            }
            i += 8;
        }
        while (i < end) {
            byte b = in[i];
            if (b < 0x20 || b == '"' || b == '\\') {
                return i;
            }
            i++;
        }
        return i;
    }

    private boolean sameBytes(int from, byte[] name) {
        for (int k = 0; k < name.length; k++) {
            if (in[from + k] != name[k]) {
                return false;
            }
        }
        return true;
    }

    /** A key: which of the four fields it names, or OTHER. Plain keys are matched on their bytes. */
    private int key() {
        if (peek() != '"') {
            throw new Unreadable("expected a field name");
        }
        int start = at + 1;
        int i = plainEnd(start);
        if (i < end && in[i] == '"') {
            at = i + 1;
            int length = i - start;
            for (int f = 0; f < NAMES.length; f++) {
                if (NAMES[f].length == length && sameBytes(start, NAMES[f])) {
                    return f;
                }
            }
            return OTHER;
        }
        int n = string(KEY); // escapes: decode, then compare
        String name = new String(keyBuffer, 0, n);
        for (int f = 0; f < NAMES.length; f++) {
            if (name.equals(new String(NAMES[f], StandardCharsets.US_ASCII))) {
                return f;
            }
        }
        return OTHER;
    }

    /**
     * A string field's value into its buffer, or a number or boolean as its text (as binding a String field
     * would take it); -1 for null.
     */
    private int scalar(int field) {
        rawStart[field] = -1; // until string() finds it plain; a repeated field overwrites an earlier one
        byte first = peek();
        if (first == '"') {
            return string(field);
        }
        if (first == 'n') {
            literal("null");
            return -1;
        }
        if (first == '{' || first == '[') {
            throw new Unreadable(NAMES[field].length > 0 ? new String(NAMES[field], StandardCharsets.US_ASCII)
                    + " must be a string" : "a string is expected");
        }
        int start = at;
        skipValue(0);
        int n = at - start;
        char[] buffer = ensure(field, n);
        for (int i = 0; i < n; i++) {
            buffer[i] = (char) in[start + i];
        }
        return n;
    }

    /** Decodes a string (escapes, UTF-8) into the buffer of {@code target}; returns its length in chars. */
    private int string(int target) {
        expect('"');
        if (target <= PAGE_ID) {
            int plain = plainEnd(at);
            if (plain < end && in[plain] == '"') {
                rawStart[target] = at;
                int n = plain - at;
                at = plain + 1;
                return n;
            }
        }
        char[] buffer = ensure(target, Math.min(end - at, 64));
        int n = 0;
        // plain ASCII in one tight loop: a signed byte below 0x20 is a control character or part of a multi-byte
        // sequence, both for the careful loop below, as are the quote and the backslash
        int plain = plainEnd(at);
        if (plain - at > buffer.length) {
            buffer = grow(target, plain - at);
        }
        for (; at < plain; at++) {
            buffer[n++] = (char) in[at];
        }
        while (true) {
            int b = take() & 0xff;
            if (b == '"') {
                return n;
            }
            if (n + 2 > buffer.length) {
                buffer = grow(target, n + 2);
            }
            if (b == '\\') {
                int e = take();
                switch (e) {
                    case '"', '\\', '/' -> buffer[n++] = (char) e;
                    case 'b' -> buffer[n++] = '\b';
                    case 'f' -> buffer[n++] = '\f';
                    case 'n' -> buffer[n++] = '\n';
                    case 'r' -> buffer[n++] = '\r';
                    case 't' -> buffer[n++] = '\t';
                    case 'u' -> buffer[n++] = (char) hex4();
                    default -> throw new Unreadable("invalid escape in a string");
                }
            } else if (b < 0x20) {
                throw new Unreadable("a control character in a string");
            } else if (b < 0x80) {
                buffer[n++] = (char) b;
            } else {
                int cp = utf8(b);
                if (cp >= 0x10000) {
                    buffer[n++] = Character.highSurrogate(cp);
                    buffer[n++] = Character.lowSurrogate(cp);
                } else {
                    buffer[n++] = (char) cp;
                }
            }
        }
    }

    private int hex4() {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int c = take();
            int d = Character.digit(c, 16);
            if (d < 0) {
                throw new Unreadable("invalid \\u escape in a string");
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** The code point of a multi-byte UTF-8 sequence whose first byte is {@code b}; strict (no overlongs). */
    private int utf8(int b) {
        int cp;
        int more;
        int min;
        if ((b & 0xe0) == 0xc0) {
            cp = b & 0x1f;
            more = 1;
            min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            cp = b & 0x0f;
            more = 2;
            min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            cp = b & 0x07;
            more = 3;
            min = 0x10000;
        } else {
            throw new Unreadable("not UTF-8");
        }
        for (int i = 0; i < more; i++) {
            int c = take() & 0xff;
            if ((c & 0xc0) != 0x80) {
                throw new Unreadable("not UTF-8");
            }
            cp = (cp << 6) | (c & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            throw new Unreadable("not UTF-8");
        }
        return cp;
    }

    /**
     * {@code value}: a JSON number (as {@link Double#parseDouble} reads it) or null. Anything else, or a number
     * beyond a double's range, makes the click unreadable on every path: stage 1 could not sum it (ingest refuses
     * such values; only another producer could write one).
     */
    private void readValue() {
        byte first = peek();
        if (first == 'n') {
            literal("null");
            value = null;
            return;
        }
        if (first != '-' && (first < '0' || first > '9')) {
            throw new Unreadable("value must be a number");
        }
        int start = at;
        number();
        String text = new String(in, start, at - start, StandardCharsets.US_ASCII);
        double number = Double.parseDouble(text);
        if (!Double.isFinite(number)) {
            throw new Unreadable("value " + text + " is beyond a double's range");
        }
        value = number;
    }

    /** Checks and steps over any JSON value. */
    private void skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw new Unreadable("nested too deeply");
        }
        byte b = peek();
        switch (b) {
            case '"' -> skipString();
            case '{' -> {
                at++;
                space();
                if (peek() == '}') {
                    at++;
                    return;
                }
                while (true) {
                    space();
                    if (peek() != '"') {
                        throw new Unreadable("expected a field name");
                    }
                    skipString();
                    space();
                    expect(':');
                    space();
                    skipValue(depth + 1);
                    space();
                    byte next = take();
                    if (next == '}') {
                        return;
                    }
                    if (next != ',') {
                        throw new Unreadable("expected ',' or '}'");
                    }
                }
            }
            case '[' -> {
                at++;
                space();
                if (peek() == ']') {
                    at++;
                    return;
                }
                while (true) {
                    space();
                    skipValue(depth + 1);
                    space();
                    byte next = take();
                    if (next == ']') {
                        return;
                    }
                    if (next != ',') {
                        throw new Unreadable("expected ',' or ']'");
                    }
                }
            }
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void skipString() {
        expect('"');
        while (true) {
            at = plainEnd(at);
            int b = take() & 0xff;
            if (b == '"') {
                return;
            }
            if (b == '\\') {
                int e = take();
                if (e == 'u') {
                    hex4();
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw new Unreadable("invalid escape in a string");
                }
            } else if (b < 0x20) {
                throw new Unreadable("a control character in a string");
            } else if (b >= 0x80) {
                utf8(b);
            }
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (take() != word.charAt(i)) {
                throw new Unreadable("unrecognized token");
            }
        }
    }

    /** A number as JSON writes it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    private void number() {
        if (peek() == '-') {
            at++;
        }
        byte first = take();
        if (first == '0') {
            // no leading zeros
        } else if (first >= '1' && first <= '9') {
            digits(false);
        } else {
            throw new Unreadable("unrecognized token");
        }
        if (at < end && in[at] == '.') {
            at++;
            digits(true);
        }
        if (at < end && (in[at] == 'e' || in[at] == 'E')) {
            at++;
            if (at < end && (in[at] == '+' || in[at] == '-')) {
                at++;
            }
            digits(true);
        }
    }

    private void digits(boolean atLeastOne) {
        int start = at;
        while (at < end && in[at] >= '0' && in[at] <= '9') {
            at++;
        }
        if (atLeastOne && at == start) {
            throw new Unreadable("a number without digits");
        }
    }

    private char[] ensure(int target, int length) {
        char[] buffer = buffer(target);
        return buffer.length >= length ? buffer : grow(target, length);
    }

    private char[] buffer(int target) {
        return switch (target) {
            case EVENT_ID -> eventId;
            case USER_ID -> userId;
            case PAGE_ID -> pageId;
            case TIME -> timeBuffer;
            default -> keyBuffer;
        };
    }

    private char[] grow(int target, int length) {
        char[] grown = Arrays.copyOf(buffer(target), Math.max(length, buffer(target).length * 2));
        switch (target) {
            case EVENT_ID -> eventId = grown;
            case USER_ID -> userId = grown;
            case PAGE_ID -> pageId = grown;
            case TIME -> timeBuffer = grown;
            default -> keyBuffer = grown;
        }
        return grown;
    }

    /**
     * The id of field {@code field}'s value in {@code table}, adding it if new: from the input's bytes where the
     * value is plain ASCII there, else from its decoded characters. Both give the same id for the same string.
     */
    private int intern(CharTable table, int field, char[] chars, int length) {
        int start = rawStart[field];
        return start >= 0 ? table.intern(source, start, length) : table.intern(chars, 0, length);
    }

    /** The {@link CharTable} hash of the event id, for {@link #internEventId(CharTable, int)}. */
    int eventIdHash() {
        int start = rawStart[EVENT_ID];
        return start >= 0 ? CharTable.hash(source, start, eventIdLength) : CharTable.hash(eventId, 0, eventIdLength);
    }

    /** The event id's id in {@code table}, given its {@link #eventIdHash()}. */
    int internEventId(CharTable table, int hash) {
        int start = rawStart[EVENT_ID];
        return start >= 0 ? table.intern(source, start, eventIdLength, hash)
                : table.intern(eventId, 0, eventIdLength, hash);
    }

    int internUserId(CharTable table) {
        return intern(table, USER_ID, userId, userIdLength);
    }

    int internPageId(CharTable table) {
        return intern(table, PAGE_ID, pageId, pageIdLength);
    }

    private String text(int field, char[] chars, int length) {
        int start = rawStart[field];
        return start >= 0 ? new String(source, start, length, StandardCharsets.US_ASCII) : new String(chars, 0, length);
    }

    /** The same fields from a bound event (tests, and callers that already have one). */
    public static ClickFields of(ClickEvent event) {
        ClickFields fields = new ClickFields();
        fields.eventId = event.eventId().toCharArray();
        fields.eventIdLength = fields.eventId.length;
        fields.userId = event.userId().toCharArray();
        fields.userIdLength = fields.userId.length;
        fields.pageId = event.pageId().toCharArray();
        fields.pageIdLength = fields.pageId.length;
        fields.eventTimeMillis = event.eventTime().toEpochMilli();
        fields.eventTimeSeconds = event.eventTime().getEpochSecond();
        fields.eventTimeNanos = event.eventTime().getNano();
        fields.value = event.value();
        return fields;
    }

    public String error() {
        return error;
    }

    public String eventId() {
        return text(EVENT_ID, eventId, eventIdLength);
    }

    public String userId() {
        return text(USER_ID, userId, userIdLength);
    }

    public String pageId() {
        return text(PAGE_ID, pageId, pageIdLength);
    }

    /** The (corrected) event time, to the nanosecond as written. */
    public Instant eventTime() {
        return Instant.ofEpochSecond(eventTimeSeconds, eventTimeNanos);
    }

    /** {@code value}, or null if absent or null. */
    public Double value() {
        return value;
    }

    /** The user id, as the shared copy of {@code ids}. */
    public String userId(Interner ids) {
        return intern(ids, USER_ID, userId, userIdLength);
    }

    /** The page id, as the shared copy of {@code ids}. */
    public String pageId(Interner ids) {
        return intern(ids, PAGE_ID, pageId, pageIdLength);
    }

    private String intern(Interner ids, int field, char[] chars, int length) {
        int start = rawStart[field];
        return start >= 0 ? ids.intern(source, start, length) : ids.intern(chars, 0, length);
    }

    /** The {@link SeenEvents#fingerprint} of the event id, from the bytes it came in where it is plain ASCII. */
    public long[] eventIdFingerprint() {
        int start = rawStart[EVENT_ID];
        return start >= 0 ? SeenEvents.fingerprint(source, start, eventIdLength)
                : SeenEvents.fingerprint(new String(eventId, 0, eventIdLength));
    }

    /** The (corrected) event time, in milliseconds since the epoch. */
    public long eventTimeMillis() {
        return eventTimeMillis;
    }

    /** The UTC day of the event time, in days since the epoch. */
    public long epochDay() {
        return Math.floorDiv(eventTimeMillis, MILLIS_PER_DAY);
    }

    private boolean fail(String why) {
        error = why == null ? "unreadable" : why;
        return false;
    }

    /**
     * Parses the common form {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)} without allocating (with
     * {@link IsoInstants#read}); anything else goes through {@link DateTimeFormatter#ISO_INSTANT}, which is how a
     * {@link ClickEvent}'s time is read.
     */
    boolean time(char[] c, int o, int n) {
        if (IsoInstants.read(timeView.of(c, o, n), timeFields)) {
            eventTimeSeconds = timeFields[0];
            eventTimeNanos = (int) timeFields[1];
            eventTimeMillis = timeFields[0] * 1000 + timeFields[1] / 1_000_000;
            return true;
        }
        try {
            Instant time = Instant.from(DateTimeFormatter.ISO_INSTANT.parse(new String(c, o, n)));
            eventTimeMillis = time.toEpochMilli();
            eventTimeSeconds = time.getEpochSecond();
            eventTimeNanos = time.getNano();
            return true;
        } catch (DateTimeException | ArithmeticException e) {
            return false;
        }
    }

    /** A reusable view of a range of a char array, so that the time is parsed where it was decoded. */
    private static final class CharsView implements CharSequence {
        private char[] chars;
        private int offset;
        private int length;

        CharsView of(char[] chars, int offset, int length) {
            this.chars = chars;
            this.offset = offset;
            this.length = length;
            return this;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public char charAt(int index) {
            return chars[offset + index];
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new String(chars, offset + start, end - start);
        }

        @Override
        public String toString() {
            return new String(chars, offset, length);
        }
    }
}
