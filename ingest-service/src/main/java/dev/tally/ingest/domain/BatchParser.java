package dev.tally.ingest.domain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a request body into events, keeping each event's own JSON text for the bad-row topic. A JSON array is
 * read with a streaming parser, one element at a time; NDJSON line by line, so that one malformed line refuses
 * only itself. A body that cannot be split at all is a {@link MalformedBodyException}.
 */
public final class BatchParser {

    /** One event of a body: its position, its text and size, and either its JSON tree or why it has none. */
    public record Item(int index, String raw, int rawBytes, JsonNode node, Violation malformed) {
    }

    /** The body as a whole cannot be read as events; the violation says where and why. */
    public static final class MalformedBodyException extends Exception {
        private final transient Violation violation;

        public MalformedBodyException(Violation violation) {
            super(violation.reason(), null, false, false);
            this.violation = violation;
        }

        public Violation violation() {
            return violation;
        }
    }

    private final ObjectMapper json;

    public BatchParser(ObjectMapper json) {
        // a key given twice is ambiguous (which one counts?): refuse it instead of silently keeping the last
        this.json = json.copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** One event: the whole body is one JSON value. */
    public JsonNode single(byte[] body) throws MalformedBodyException {
        if (isBlank(body)) {
            throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the request body is empty"));
        }
        try (JsonParser parser = json.createParser(body)) {
            JsonNode node = parser.readValueAsTree();
            if (parser.nextToken() != null) {
                throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the body holds more than "
                        + "one JSON value; send several events to POST /events/batch"));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the body cannot be read"));
        }
    }

    /** A JSON array of events. */
    public List<Item> array(byte[] body) throws MalformedBodyException {
        if (isBlank(body)) {
            throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the request body is empty"));
        }
        List<Item> items = new ArrayList<>();
        try (JsonParser parser = json.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "a batch must be a JSON "
                        + "array of events (or NDJSON with Content-Type: application/x-ndjson)"));
            }
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (parser.currentToken() == null) {
                    throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the array is not closed"));
                }
                int start = (int) parser.currentTokenLocation().getByteOffset();
                JsonNode node = parser.readValueAsTree();
                int end = (int) parser.currentLocation().getByteOffset();
                items.add(new Item(items.size(), new String(body, start, end - start, StandardCharsets.UTF_8),
                        end - start, node, null));
            }
            if (parser.nextToken() != null) {
                throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "there is more after the "
                        + "array's closing bracket"));
            }
            return items;
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the body cannot be read"));
        }
    }

    /** Newline-delimited JSON: one event per line; blank lines are skipped. */
    public List<Item> ndjson(byte[] body) throws MalformedBodyException {
        if (isBlank(body)) {
            throw new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the request body is empty"));
        }
        List<Item> items = new ArrayList<>();
        int line = 0;
        int start = 0;
        while (start < body.length) {
            int end = start;
            while (end < body.length && body[end] != '\n') {
                end++;
            }
            line++;
            int stop = end > start && body[end - 1] == '\r' ? end - 1 : end;
            if (!isBlank(body, start, stop)) {
                String raw = new String(body, start, stop - start, StandardCharsets.UTF_8);
                try (JsonParser parser = json.createParser(body, start, stop - start)) {
                    JsonNode node = parser.readValueAsTree();
                    if (parser.nextToken() != null) {
                        throw new JsonProcessingException("more than one JSON value on the line") {
                        };
                    }
                    items.add(new Item(items.size(), raw, stop - start, node, null));
                } catch (IOException e) {
                    String why = e instanceof JsonProcessingException p ? p.getOriginalMessage() : "unreadable";
                    items.add(new Item(items.size(), raw, stop - start, null, new Violation(Violation.MALFORMED, "",
                            "line " + line + " is not valid JSON: " + why)));
                }
            }
            start = end + 1;
        }
        return items;
    }

    private static MalformedBodyException malformed(JsonProcessingException e) {
        String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
        return new MalformedBodyException(new Violation(Violation.MALFORMED, "", "the body is not valid JSON"
                + where + ": " + e.getOriginalMessage()));
    }

    private static boolean isBlank(byte[] body) {
        return body == null || isBlank(body, 0, body.length);
    }

    private static boolean isBlank(byte[] body, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = body[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }
}
