package dev.tally.aggregator.messaging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.tally.aggregator.domain.Interner;
import dev.tally.aggregator.domain.PartialWindows;
import dev.tally.aggregator.domain.StateOutput;
import dev.tally.aggregator.domain.Window;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;
import dev.tally.contracts.PagePartial;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The partials of one stage-1 batch and source partition, packed: one {@code page-partials} record per target
 * partition (or a few, each under {@link #MAX_BYTES}) instead of one per page and window. A batch changes
 * thousands of partials; as single records each paid for a JSON object with ISO instants and a window reference,
 * an outbox entry, a Kafka record and its acknowledgement, and a parse in stage 2. A pack goes to the partition that
 * Kafka's default partitioner gives each of its pages (murmur2 of the page id), where the single records of earlier
 * versions went, so stage 2's state stays where it was.
 * <p>
 * A pack is binary (big-endian numbers, strings as {@link java.io.DataOutput#writeUTF} writes them): a zero byte (no
 * JSON text starts with one) and the format {@link #FORMAT}, the source partition ({@code int}), the next source
 * offset it covers ({@code long}), the number of partials ({@code int}), then each partial: definition, page (or
 * group value), window start and end in epoch milliseconds, views, unique users, their method and relative error
 * ({@code double}), the sum of values (a byte: 0 for a zero of scale 0, else 1 and its decimal text), and its version.
 * Packs of earlier versions were JSON, and are still read (and written, with {@code tally.aggregator.pack-format=json},
 * for a rolling upgrade from such a version):
 * <pre>{"type":"partials","source_partition":3,"source_offset":1200,
 *  "partials":[["minute","/home",1700000040000,1700000100000,12,9,"exact",0.0,12.5,4], ...]}</pre>
 * In the aggregator benchmark, writing and reading the JSON packs was 12% of the service's CPU samples; binary, 8%.
 */
final class PartialPacks {
    static final String TYPE = "partials";
    /** A pack is closed once it is this long, far below Kafka's default limit of 1 MiB per record. */
    static final int MAX_BYTES = 256 * 1024;
    /** The binary pack's format, after its first byte (zero). */
    static final int FORMAT = 1;

    /** A record of page-partials as stage 2 reads it: a watermark, or partials covering a source offset. */
    sealed interface Input permits Watermark, Partials {
    }

    record Watermark(int sourcePartition, Instant watermark, boolean idle) implements Input {
    }

    /** Partials of one source partition; {@code sourceOffset} the next offset they cover, or null if not known. */
    record Partials(int sourcePartition, Long sourceOffset, List<PartialWindows.Update> updates) implements Input {
    }

    private final JsonFactory factory;
    /** Whether {@link #pack} writes JSON packs, as versions before the binary ones did. */
    private final boolean json;
    /** The buffer {@link #pack} writes a binary pack in (a stage packs one partition after the other). */
    private final StateOutput buffer = new StateOutput(64 * 1024);
    /**
     * The page ids read, one copy each (see {@link Interner}); {@link #read} is called by one thread. Made by the
     * first read: stage 1 only writes packs.
     */
    private Interner pages;
    /** The definitions' names and the unique-count methods read, one copy each. */
    private Interner labels;

    PartialPacks(JsonFactory factory, boolean json) {
        this.factory = factory;
        this.json = json;
    }

    /** The page's partition of page-partials: Kafka's default partitioner for the page id as the key. */
    static int partitionOf(String pageId, int partitions) {
        return Utils.toPositive(Utils.murmur2(pageId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * The records carrying {@code updates} (all of {@code sourcePartition}) to {@code topic}: binary packs, or JSON
     * ones as earlier versions wrote them if {@code json} (for a rolling upgrade: see the README).
     */
    List<OutRecord> pack(String topic, int partitions, int sourcePartition, long sourceOffset,
                         List<PartialWindows.Update> updates) {
        if (updates.isEmpty()) {
            return List.of();
        }
        List<List<PartialWindows.Update>> byTarget = new ArrayList<>(partitions);
        for (int i = 0; i < partitions; i++) {
            byTarget.add(new ArrayList<>());
        }
        for (PartialWindows.Update update : updates) {
            byTarget.get(partitionOf(update.pageId(), partitions)).add(update);
        }
        if (json) {
            return packJson(topic, byTarget, sourcePartition, sourceOffset);
        }
        List<OutRecord> records = new ArrayList<>();
        StateOutput out = buffer;
        try {
            for (int target = 0; target < partitions; target++) {
                List<PartialWindows.Update> mine = byTarget.get(target);
                int from = 0;
                while (from < mine.size()) {
                    out.reset();
                    out.writeByte(0);
                    out.writeByte(FORMAT);
                    out.writeInt(sourcePartition);
                    out.writeLong(sourceOffset);
                    out.writeInt(0); // the count, set below
                    int count = 0;
                    do {
                        write(mine.get(from++), out);
                        count++;
                    } while (from < mine.size() && out.size() < MAX_BYTES);
                    byte[] value = out.toByteArray();
                    ByteBuffer.wrap(value).putInt(COUNT_AT, count);
                    records.add(OutRecord.of(topic, null, target, value));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    /** Where a binary pack holds its number of partials. */
    private static final int COUNT_AT = 2 + 4 + 8;
    /**
     * The fewest bytes a partial takes in a binary pack (empty texts, zero sum): a pack's count is checked against
     * its length before anything is made for it.
     */
    private static final int PARTIAL_MIN_BYTES = 2 + 2 + 4 * 8 + 2 + 8 + 1 + 8;

    /** JSON packs, as versions before the binary ones wrote and read them. */
    private List<OutRecord> packJson(String topic, List<List<PartialWindows.Update>> byTarget, int sourcePartition,
                                     long sourceOffset) {
        List<OutRecord> records = new ArrayList<>();
        for (int target = 0; target < byTarget.size(); target++) {
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
                        PartialWindows.Update update = mine.get(from++);
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

    private static void write(PartialWindows.Update update, StateOutput out) throws IOException {
        out.writeUTF(update.window().spec());
        out.writeUTF(update.pageId());
        out.writeLong(update.window().start().toEpochMilli());
        out.writeLong(update.window().end().toEpochMilli());
        out.writeLong(update.views());
        out.writeLong(update.uniqueUsers());
        out.writeUTF(update.method());
        out.writeDouble(update.relativeError());
        if (update.valueSum().signum() == 0 && update.valueSum().scale() == 0) {
            out.writeByte(0);
        } else {
            out.writeByte(1);
            out.writeUTF(update.valueSum().toString());
        }
        out.writeLong(update.version());
    }

    /**
     * Reads a record of page-partials: a pack, or a single partial or watermark ({@link PagePartial}, read by
     * {@code single}). A partial of a definition that {@code specs} does not know (no longer configured) is left
     * out; {@code specs} also gives each definition's name as one shared string.
     */
    Input read(byte[] value, Function<String, String> specs, Function<byte[], PagePartial> single)
            throws IOException {
        if (pages == null) {
            pages = new Interner(200_000);
            labels = new Interner(10_000);
        }
        if (value.length > 0 && value[0] == 0) {
            return readBinary(value, specs);
        }
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
        BigDecimal sum = in.getDecimalValue();
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

    /** A binary pack (see the class's comment). */
    private Partials readBinary(byte[] value, Function<String, String> specs) throws IOException {
        try {
            if (value[1] != FORMAT) {
                throw new IOException("a pack of partials of format " + value[1] + ", not " + FORMAT
                        + " (written by a newer version?)");
            }
            ByteBuffer numbers = ByteBuffer.wrap(value); // big-endian, as DataOutput wrote them
            int sourcePartition = numbers.getInt(2);
            long sourceOffset = numbers.getLong(6);
            int count = numbers.getInt(COUNT_AT);
            int at = COUNT_AT + 4;
            if (count < 0 || count > (value.length - at) / PARTIAL_MIN_BYTES) {
                throw new IOException("a pack of partials of " + value.length + " bytes says it holds " + count);
            }
            List<PartialWindows.Update> updates = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int nameAt = at;
                at = skipText(value, at);
                String page = text(value, at, pages);
                at = skipText(value, at);
                long start = numbers.getLong(at);
                long end = numbers.getLong(at + 8);
                long views = numbers.getLong(at + 16);
                long users = numbers.getLong(at + 24);
                at += 32;
                String method = text(value, at, labels);
                at = skipText(value, at);
                double error = numbers.getDouble(at);
                at += 8;
                BigDecimal sum = BigDecimal.ZERO;
                if (value[at++] != 0) {
                    int textEnd = skipText(value, at); // a decimal's text: digits, sign, point, exponent
                    sum = new BigDecimal(new String(value, at + 2, textEnd - at - 2, StandardCharsets.US_ASCII));
                    at = textEnd;
                }
                long version = numbers.getLong(at);
                at += 8;
                String spec = specs.apply(text(value, nameAt, labels));
                if (spec != null) {
                    updates.add(new PartialWindows.Update(sourcePartition, page, new Window(spec,
                            Instant.ofEpochMilli(start), Instant.ofEpochMilli(end)), views, users, method, error, sum,
                            version));
                }
            }
            if (at != value.length) {
                throw new IOException("a pack of partials with " + (value.length - at) + " bytes after its "
                        + count + " partials");
            }
            return new Partials(sourcePartition, sourceOffset, updates);
        } catch (IndexOutOfBoundsException e) {
            throw new IOException("a pack of partials cut short (" + value.length + " bytes)", e);
        } catch (NumberFormatException e) {
            throw new IOException("a pack of partials with a sum that is not a number: " + e.getMessage(), e);
        }
    }

    /** The text written by {@code writeUTF} at {@code at}, as the interner's copy. */
    private static String text(byte[] value, int at, Interner interner) throws IOException {
        int length = ((value[at] & 0xFF) << 8) | (value[at + 1] & 0xFF);
        for (int i = at + 2; i < at + 2 + length; i++) {
            if (value[i] <= 0) { // not ASCII (or a zero, which modified UTF-8 never writes as one byte)
                return interner.intern(new java.io.DataInputStream(
                        new java.io.ByteArrayInputStream(value, at, length + 2)).readUTF());
            }
        }
        return interner.intern(value, at + 2, length);
    }

    /** Where the text written by {@code writeUTF} at {@code at} ends. */
    private static int skipText(byte[] value, int at) {
        return at + 2 + (((value[at] & 0xFF) << 8) | (value[at + 1] & 0xFF));
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
