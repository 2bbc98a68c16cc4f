package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.PagePartial;
import dev.tally.contracts.WindowRef;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartialPacksTest {
    /** As Quarkus configures the service's mapper: unknown properties are ignored. */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Set<String> CONFIGURED = Set.of("minute", "day");
    private static final Function<String, String> SPECS = name -> CONFIGURED.contains(name) ? name : null;
    private final PartialPacks packs = new PartialPacks(JSON.getFactory(), false);

    @Test
    void everyPartialComesBackWhereKafkasDefaultPartitionerPutsItsPage() throws IOException {
        List<PartialWindows.Update> updates = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            updates.add(update("/page/" + i + "/ü", i % 2 == 0 ? "minute" : "day", i,
                    new BigDecimal(i % 3 == 0 ? "12.50" : "1E+3")));
        }
        List<OutRecord> records = packs.pack("page-partials", 8, 3, 1234, updates);

        List<PartialWindows.Update> read = new ArrayList<>();
        for (OutRecord record : records) {
            assertNull(record.key());
            PartialPacks.Partials partials =
                    (PartialPacks.Partials) packs.read(record.value(), SPECS, this::single);
            assertEquals(3, partials.sourcePartition());
            assertEquals(1234L, partials.sourceOffset());
            for (PartialWindows.Update update : partials.updates()) {
                byte[] key = update.pageId().getBytes(StandardCharsets.UTF_8);
                assertEquals(BuiltInPartitioner.partitionForKey(key, 8), record.partition());
            }
            read.addAll(partials.updates());
        }
        // equal as records, and each sum with the scale it had (BigDecimal's equals compares it)
        assertEquals(new java.util.HashSet<>(updates), new java.util.HashSet<>(read));
        assertEquals(updates.size(), read.size());
    }

    @Test
    void aLargeBatchIsSplitIntoPacksUnderTheLimit() throws IOException {
        List<PartialWindows.Update> updates = new ArrayList<>();
        String longPage = "/" + "x".repeat(2000);
        for (int i = 0; i < 2000; i++) {
            updates.add(update(longPage + i, "minute", i, BigDecimal.ZERO));
        }
        List<OutRecord> records = packs.pack("page-partials", 1, 0, 7, updates);

        assertTrue(records.size() > 10, records.size() + " packs");
        int total = 0;
        for (OutRecord record : records) {
            assertTrue(record.value().length < PartialPacks.MAX_BYTES + 4096, record.value().length + " bytes");
            total += ((PartialPacks.Partials) packs.read(record.value(), SPECS, this::single)).updates().size();
        }
        assertEquals(2000, total);
    }

    @Test
    void partialsOfADefinitionNoLongerConfiguredAreLeftOut() throws IOException {
        List<OutRecord> records = packs.pack("page-partials", 1, 0, 7,
                List.of(update("/a", "minute", 1, BigDecimal.ONE), update("/b", "hour", 2, BigDecimal.ONE)));

        PartialPacks.Partials partials = (PartialPacks.Partials) packs.read(records.get(0).value(), SPECS,
                this::single);
        assertEquals(List.of("/a"), partials.updates().stream().map(PartialWindows.Update::pageId).toList());
    }

    @Test
    void singlePartialsAndWatermarksOfEarlierVersionsAreStillRead() throws IOException {
        Instant start = Instant.parse("2026-11-23T10:00:00Z");
        String partial = JSON.writeValueAsString(new PagePartial(PagePartial.PARTIAL, 5, null, "minute", "/a",
                new WindowRef("tumbling", "PT1M", null, start, start.plusSeconds(60)), 3L, 2L, "exact", 0.0,
                new BigDecimal("4.5"), 9L, null, null, 77L));
        String watermark = JSON.writeValueAsString(PagePartial.watermark(5, start, true));

        PartialPacks.Partials partials = (PartialPacks.Partials) packs.read(bytes(partial), SPECS, this::single);
        assertEquals(77L, partials.sourceOffset());
        assertEquals(List.of(new PartialWindows.Update(5, "/a", new Window("minute", start, start.plusSeconds(60)),
                3, 2, "exact", 0.0, new BigDecimal("4.5"), 9)), partials.updates());
        assertEquals(new PartialPacks.Watermark(5, start, true), packs.read(bytes(watermark), SPECS, this::single));
    }

    @Test
    void aPackWhoseTypeDoesNotComeFirstIsRefusedRatherThanReadAsNothing() {
        String reordered = "{\"source_partition\":1,\"type\":\"partials\",\"source_offset\":5,\"partials\":"
                + "[[\"minute\",\"/a\",0,60000,1,1,\"exact\",0.0,0,1]]}";

        assertThrows(IllegalArgumentException.class, () -> packs.read(bytes(reordered), SPECS, this::single));
    }

    @Test
    void jsonPacksOfEarlierVersionsAreStillRead() throws IOException {
        String pack = "{\"type\":\"partials\",\"source_partition\":2,\"source_offset\":1200,\"partials\":["
                + "[\"minute\",\"/home\",1700000040000,1700000100000,12,9,\"exact\",0.0,12.50,4],"
                + "[\"day\",\"/caf\u00e9\",1699920000000,1700006400000,30,21,\"hll\",0.0325,0,7]]}";

        PartialPacks.Partials partials = (PartialPacks.Partials) packs.read(bytes(pack), SPECS, this::single);
        assertEquals(2, partials.sourcePartition());
        assertEquals(1200L, partials.sourceOffset());
        assertEquals(List.of(
                new PartialWindows.Update(2, "/home", new Window("minute", Instant.ofEpochMilli(1700000040000L),
                        Instant.ofEpochMilli(1700000100000L)), 12, 9, "exact", 0.0, new BigDecimal("12.50"), 4),
                new PartialWindows.Update(2, "/caf\u00e9", new Window("day", Instant.ofEpochMilli(1699920000000L),
                        Instant.ofEpochMilli(1700006400000L)), 30, 21, "hll", 0.0325, BigDecimal.ZERO, 7)),
                partials.updates());
    }

    @Test
    void jsonPacksWrittenForARollingUpgradeCarryTheSamePartials() throws IOException {
        PartialPacks jsonPacks = new PartialPacks(JSON.getFactory(), true);
        List<PartialWindows.Update> updates = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            updates.add(update("/page/" + i + (i % 7 == 0 ? "/ü" : ""), i % 2 == 0 ? "minute" : "day", i,
                    i % 3 == 0 ? BigDecimal.ZERO : new BigDecimal("12.50")));
        }
        List<OutRecord> json = jsonPacks.pack("page-partials", 4, 2, 99, updates);
        List<OutRecord> binary = packs.pack("page-partials", 4, 2, 99, updates);

        assertEquals(binary.stream().map(OutRecord::partition).toList(),
                json.stream().map(OutRecord::partition).toList());
        for (int i = 0; i < json.size(); i++) {
            assertEquals('{', json.get(i).value()[0], "a JSON pack, as earlier versions read them");
            assertEquals(0, binary.get(i).value()[0]);
            assertEquals(packs.read(binary.get(i).value(), SPECS, this::single),
                    packs.read(json.get(i).value(), SPECS, this::single));
        }
    }

    @Test
    void aPackCutShortOrOfAnUnknownFormatIsRefused() throws IOException {
        byte[] pack = packs.pack("page-partials", 1, 0, 7, List.of(update("/a", "minute", 1, BigDecimal.ONE),
                update("/b", "minute", 2, new BigDecimal("2.5")))).get(0).value();

        for (int cut = 1; cut < pack.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(pack, pack.length - cut);
            assertThrows(IOException.class, () -> packs.read(shorter, SPECS, this::single), cut + " bytes cut");
        }
        byte[] longer = java.util.Arrays.copyOf(pack, pack.length + 1);
        assertThrows(IOException.class, () -> packs.read(longer, SPECS, this::single));
        byte[] newer = pack.clone();
        newer[1] = (byte) (PartialPacks.FORMAT + 1);
        assertThrows(IOException.class, () -> packs.read(newer, SPECS, this::single));
        for (int count : new int[] {-1, 3, Integer.MAX_VALUE}) { // a count the bytes cannot hold: nothing is made
            byte[] wrongCount = pack.clone();
            java.nio.ByteBuffer.wrap(wrongCount).putInt(2 + 4 + 8, count);
            assertThrows(IOException.class, () -> packs.read(wrongCount, SPECS, this::single), count + " partials");
        }
    }

    private static PartialWindows.Update update(String page, String spec, int i, BigDecimal sum) {
        Instant start = Instant.parse("2026-11-23T10:00:00Z").plusSeconds(60L * i);
        return new PartialWindows.Update(3, page, new Window(spec, start, start.plusSeconds(60)), i + 1, i,
                i % 5 == 0 ? "hll" : "exact", i % 5 == 0 ? 0.0163 : 0.0, sum, i + 2);
    }

    /** A record's value as stage 2's consumer reads it. */
    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private PagePartial single(byte[] value) {
        try {
            return JSON.readValue(value, PagePartial.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
