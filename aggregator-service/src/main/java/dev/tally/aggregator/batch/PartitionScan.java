package dev.tally.aggregator.batch;

import dev.tally.aggregator.domain.ClickBatch;
import dev.tally.aggregator.domain.ClickFields;
import dev.tally.aggregator.domain.DailyCounts;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * Reads one range of one {@code clicks} partition with a plain KafkaConsumer (assign and seek, no group, nothing
 * committed) and counts it into a {@link DailyCounts}: the work of one RecomputeTask. Values are read where the
 * fetch put them (no copy per record) and only the four needed fields are read from them; fetches are large, as a
 * bulk read of the log wants.
 */
final class PartitionScan {
    private static final Logger LOG = Logger.getLogger(PartitionScan.class);
    private static final int REPORTED_UNREADABLE = 10;
    /** Events counted together, so that their lookups in the table of event ids overlap. */
    private static final int BATCH = 64;

    /** Called every progress interval with the next offset to read and the records read so far. */
    interface Progress {
        void at(long nextOffset, long recordsRead);
    }

    /** What a scan read and counted. */
    record Result(DailyCounts counts, long recordsRead, long unreadable) {
    }

    private final String bootstrap;
    private final BatchConfig config;

    PartitionScan(String bootstrap, BatchConfig config) {
        this.bootstrap = bootstrap;
        this.config = config;
    }

    /**
     * Counts the records of {@code topic}/{@code partition} from {@code from} (inclusive) to {@code to} (exclusive).
     */
    Result scan(String topic, int partition, long from, long to, String name, Progress progress) {
        DailyCounts counts = new DailyCounts(to - from);
        ClickBatch batch = new ClickBatch(counts, BATCH);
        long read = 0;
        long unreadable = 0;
        if (from >= to) {
            return new Result(counts, 0, 0);
        }
        TopicPartition tp = new TopicPartition(topic, partition);
        try (KafkaConsumer<ByteBuffer, ByteBuffer> consumer = new KafkaConsumer<>(properties(name))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            long next = from;
            long started = System.nanoTime();
            long lastReport = started;
            long lastRead = started;
            while (next < to) {
                ConsumerRecords<ByteBuffer, ByteBuffer> records = consumer.poll(Duration.ofMillis(500));
                long now = System.nanoTime();
                for (ConsumerRecord<ByteBuffer, ByteBuffer> record : records) {
                    if (record.offset() >= to) {
                        break;
                    }
                    read++;
                    ByteBuffer value = record.value();
                    ClickFields fields = batch.next();
                    if (value != null && parse(fields, value)) {
                        batch.added();
                    } else {
                        unreadable++;
                        if (unreadable <= REPORTED_UNREADABLE) {
                            LOG.warnf("%s: clicks partition %d offset %d is not a click event, not counted: %s", name,
                                    partition, record.offset(), value == null ? "no value" : fields.error());
                        }
                    }
                }
                batch.flush(); // before the next poll: the batch reads the ids where this poll's fetch put them
                // the position also steps over offsets that hold no record (transaction markers)
                long position = consumer.position(tp);
                if (position > next) {
                    next = position;
                    lastRead = now;
                } else if (now - lastRead > config.stallTimeout().toNanos()) {
                    throw new IllegalStateException(name + ": nothing read from clicks partition " + partition
                            + " for " + config.stallTimeout() + " at offset " + next + ", before its horizon " + to);
                }
                if (now - lastReport >= config.progressInterval().toNanos() && next < to) {
                    lastReport = now;
                    double seconds = (now - started) / 1e9;
                    LOG.infof("%s: clicks partition %d at offset %d of %d (%.0f%%), %d records, %.0f records/s", name,
                            partition, next, to, 100.0 * (next - from) / (to - from), read, read / seconds);
                    progress.at(Math.min(next, to), read);
                }
            }
        }
        return new Result(counts, read, unreadable);
    }

    /**
     * Reads the value where the fetch put it: ByteBufferDeserializer hands out a view of it, not a copy. A value
     * outside the heap (not what the consumer makes) is copied into an array of its own, since the batch keeps
     * reading its ids until it is flushed.
     */
    private static boolean parse(ClickFields fields, ByteBuffer value) {
        int length = value.remaining();
        if (value.hasArray()) {
            return fields.parse(value.array(), value.arrayOffset() + value.position(), length);
        }
        byte[] copy = new byte[length];
        value.duplicate().get(copy, 0, length);
        return fields.parse(copy, 0, length);
    }

    private Properties properties(String name) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "tally-" + name);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(config.maxPartitionFetchBytes()));
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(Math.max(config.maxPartitionFetchBytes(),
                ConsumerConfig.DEFAULT_FETCH_MAX_BYTES)));
        props.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, Integer.toString(1 << 20));
        return props;
    }
}
