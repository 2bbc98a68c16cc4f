package dev.tally.ingest.domain;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchParserTest {
    private final BatchParser parser = new BatchParser(new ObjectMapper());

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anArrayKeepsEachEventsOwnText() throws Exception {
        List<BatchParser.Item> items = parser.array(utf8("[ {\"a\":\"é\"} , 7,{\"b\":[1,2]}]"));
        assertEquals(3, items.size());
        assertEquals("{\"a\":\"é\"}", items.get(0).raw());
        assertEquals(10, items.get(0).rawBytes());
        assertEquals("7", items.get(1).raw());
        assertEquals("{\"b\":[1,2]}", items.get(2).raw());
        assertEquals(2, items.get(2).index());
    }

    @Test
    void ndjsonRefusesOnlyTheBadLine() throws Exception {
        List<BatchParser.Item> items = parser.ndjson(utf8("{\"a\":1}\r\n\n{oops\n{\"c\":3}"));
        assertEquals(3, items.size());
        assertNull(items.get(0).malformed());
        assertTrue(items.get(1).malformed().reason().startsWith("line 3 is not valid JSON"),
                items.get(1).malformed().reason());
        assertEquals("{\"c\":3}", items.get(2).raw());
    }

    @Test
    void bodiesThatCannotBeSplitAreMalformed() {
        for (String body : new String[] {"", "  ", "{\"a\":1}", "[{\"a\":1}", "[1] 2", "[1,]", "nonsense"}) {
            BatchParser.MalformedBodyException e = assertThrows(BatchParser.MalformedBodyException.class,
                    () -> parser.array(utf8(body)), body);
            assertEquals(Violation.MALFORMED, e.violation().code());
        }
    }

    @Test
    void aKeyGivenTwiceIsMalformed() {
        BatchParser.MalformedBodyException e = org.junit.jupiter.api.Assertions.assertThrows(
                BatchParser.MalformedBodyException.class, () -> parser.single(utf8("{\"a\":1,\"a\":2}")));
        assertTrue(e.violation().reason().contains("Duplicate field 'a'"), e.violation().reason());
    }

    @Test
    void invalidUtf8IsMalformed() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThrows(BatchParser.MalformedBodyException.class, () -> parser.single(body));
    }

    @Test
    void deepNestingIsMalformedNotACrash() {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertThrows(BatchParser.MalformedBodyException.class, () -> parser.single(utf8(deep)));
    }
}
