package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.tally.aggregator.domain.Interner;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.PagePartial;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The partials of one stage-1 batch and source partition, packed: one {@code page-partials} record per target
 * partition (or a few, each under {@link #MAX_BYTES}) instead of one per page and window. A batch changes
 * thousands of partials; as single records each paid for a JSON object with ISO instants and a window reference,
 * an outbox entry, a Kafka record and its acknowledgement, and a parse in stage 2. A pack is
 * <pre>{"type":"partials","source_partition":3,"source_offset":1200,
 *  "partials":[["minute","/home",1700000040000,1700000100000,12,9,"exact",0.0,12.5,4], ...]}</pre>
 * each partial an array: definition, page (or group value), window start and end in epoch milliseconds, views,
 * unique users, their method and relative error, the sum of values, and the partial's version. A pack goes to the
 * partition that Kafka's default partitioner gives each of its pages (murmur2 of the page id), where the single
 * records of earlier versions went, so stage 2's state stays where it was.
 */
final class PartialPacks {
    static final String TYPE = "partials";
    /** A pack is closed once its JSON is this long, far below Kafka's default limit of 1 MiB per record. */
    static final int MAX_BYTES = 256 * 1024;

    /** A record of page-partials as stage 2 reads it: a watermark, or partials covering a source offset. */
    sealed interface Input permits Watermark, Partials {
    }

    record Watermark(int sourcePartition, Instant watermark, boolean idle) implements Input {
    }

    /** Partials of one source partition; {@code sourceOffset} the next offset they cover, or null if not known. */
    record Partials(int sourcePartition, Long sourceOffset, List<PartialWindows.Update> updates) implements Input {
    }

    private final JsonFactory factory;
    /**
     * The page ids read, one copy each (see {@link Interner}); {@link #read} is called by one thread. Made by the
     * first read: stage 1 only writes packs.
     */
    private Interner pages;
    /** The definitions' names and the unique-count methods read, one copy each. */
    private Interner labels;

    PartialPacks(JsonFactory factory) {
        this.factory = factory;
    }

    /** The page's partition of page-partials: Kafka's default partitioner for the page id as the key. */
    static int partitionOf(String pageId, int partitions) {
        return Utils.toPositive(Utils.murmur2(pageId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** The records carrying {@code updates} (all of {@code sourcePartition}) to {@code topic}. */
    List<OutRecord> pack(String topic, int partitions, int sourcePartition, long sourceOffset,
                         List<PartialWindows.Update> updates) {
        List<List<PartialWindows.Update>> byTarget = new ArrayList<>(partitions);
        for (int i = 0; i < partitions; i++) {
            byTarget.add(new ArrayList<>());
        }
        for (PartialWindows.Update update : updates) {
            byTarget.get(partitionOf(update.pageId(), partitions)).add(update);
        }
        List<OutRecord> records = new ArrayList<>();
        for (int target = 0; target < partitions; target++) {
            List<PartialWindows.Update> mine = byTarget.get(target);
            int from = 0;
            while (from < mine.size()) {
                ByteArrayBuilder bytes = new ByteArrayBuilder(Math.min(MAX_BYTES, 64 * (mine.size() - from)));
                try (JsonGenerator out = factory.createGenerator(bytes)) {
                    out.writeStartObject();
                    out.writeStringField("type", TYPE);
                    out.writeNumberField("source_partition", sourcePartition);
                    out.writeNumberField("source_offset", sourceOffset);
                    out.writeArrayFieldStart("partials");
                    do {
                        write(mine.get(from++), out);
                    } while (from < mine.size() && out.getOutputBuffered() + bytes.size() < MAX_BYTES);
                    out.writeEndArray();
                    out.writeEndObject();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                records.add(OutRecord.of(topic, null, target, bytes.toByteArray()));
            }
        }
        return records;
    }

    private static void write(PartialWindows.Update update, JsonGenerator out) throws IOException {
        out.writeStartArray();
        out.writeString(update.window().spec());
        out.writeString(update.pageId());
        out.writeNumber(update.window().start().toEpochMilli());
        out.writeNumber(update.window().end().toEpochMilli());
        out.writeNumber(update.views());
        out.writeNumber(update.uniqueUsers());
        out.writeString(update.method());
        out.writeNumber(update.relativeError());
        out.writeNumber(update.valueSum());
        out.writeNumber(update.version());
        out.writeEndArray();
    }

    /**
     * Reads a record of page-partials: a pack, or a single partial or watermark ({@link PagePartial}, read by
     * {@code single}). A partial of a definition that {@code specs} does not know (no longer configured) is left
     * out; {@code specs} also gives each definition's name as one shared string.
     */
    Input read(byte[] value, Function<String, String> specs, Function<byte[], PagePartial> single)
            throws IOException {
        try (JsonParser in = factory.createParser(value)) {
            if (in.nextToken() != JsonToken.START_OBJECT || !"type".equals(in.nextFieldName())
                    || !TYPE.equals(in.nextTextValue())) {
                return fromSingle(single.apply(value), specs);
            }
            int sourcePartition = -1;
            Long sourceOffset = null;
            List<PartialWindows.Update> updates = new ArrayList<>();
            for (String field = in.nextFieldName(); field != null; field = in.nextFieldName()) {
                switch (field) {
                    case "source_partition" -> sourcePartition = in.nextIntValue(-1);
                    case "source_offset" -> sourceOffset = in.nextLongValue(-1);
                    case "partials" -> {
                        if (sourcePartition < 0) {
                            throw new IOException("a pack of partials without its source_partition before them");
                        }
                        expect(in.nextToken(), JsonToken.START_ARRAY);
                        while (in.nextToken() == JsonToken.START_ARRAY) {
                            PartialWindows.Update update = readPartial(in, sourcePartition, specs);
                            if (update != null) {
                                updates.add(update);
                            }
                        }
                    }
                    default -> {
                        in.nextToken();
                        in.skipChildren(); // a field this version does not know
                    }
                }
            }
            return new Partials(sourcePartition, sourceOffset, updates);
        }
    }

    /** The partial at the parser, or null if its definition is not configured. */
    private PartialWindows.Update readPartial(JsonParser in, int partition, Function<String, String> specs)
            throws IOException {
        if (pages == null) {
            pages = new Interner(200_000);
            labels = new Interner(10_000);
        }
        String name = nextText(in, labels);
        String page = nextText(in, pages);
        long start = in.nextLongValue(0);
        long end = in.nextLongValue(0);
        long views = in.nextLongValue(0);
        long users = in.nextLongValue(0);
        String method = nextText(in, labels);
        in.nextToken();
        double error = in.getDoubleValue();
        in.nextToken();
        BigDecimal sum = in.getNumberType() == JsonParser.NumberType.INT && in.getIntValue() == 0
                ? BigDecimal.ZERO : in.getDecimalValue(); // the one zero that sums skip
        long version = in.nextLongValue(0);
        expect(in.nextToken(), JsonToken.END_ARRAY);
        if (name == null || page == null || method == null) {
            throw new IOException("a partial without its definition, page or method");
        }
        String spec = specs.apply(name);
        if (spec == null) {
            return null;
        }
        return new PartialWindows.Update(partition, page, new Window(spec, Instant.ofEpochMilli(start),
                Instant.ofEpochMilli(end)), views, users, method, error, sum, version);
    }

    /**
     * The next token's text, as the interner's copy, read from the parser's characters (no string made for a text
     * it holds); null for a JSON null or a token that is not text.
     */
    private static String nextText(JsonParser in, Interner interner) throws IOException {
        if (in.nextToken() != JsonToken.VALUE_STRING) {
            return null;
        }
        return interner.intern(in.getTextCharacters(), in.getTextOffset(), in.getTextLength());
    }

    private static void expect(JsonToken token, JsonToken expected) throws IOException {
        if (token != expected) {
            throw new IOException("expected " + expected + " in a pack of partials, found " + token);
        }
    }

    private static Input fromSingle(PagePartial partial, Function<String, String> specs) {
        if (PagePartial.WATERMARK.equals(partial.type())) {
            return new Watermark(partial.sourcePartition(), partial.watermark(), Boolean.TRUE.equals(partial.idle()));
        }
        if (!PagePartial.PARTIAL.equals(partial.type())) {
            throw new IllegalArgumentException("a record of type " + partial.type() + ", not a pack (whose type "
                    + "comes first), a partial or a watermark");
        }
        String spec = specs.apply(partial.spec());
        if (spec == null) {
            return new Partials(partial.sourcePartition(), partial.sourceOffset(), List.of());
        }
        return new Partials(partial.sourcePartition(), partial.sourceOffset(), List.of(new PartialWindows.Update(
                partial.sourcePartition(), partial.pageId(), new Window(spec, partial.window().start(),
                partial.window().end()), partial.views(), partial.uniqueUsers(), partial.uniqueMethod(),
                partial.uniqueError(), partial.valueSum() == null ? BigDecimal.ZERO : partial.valueSum(),
                partial.version())));
    }
}
