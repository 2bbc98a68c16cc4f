package dev.tally.aggregator.archive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.tally.contracts.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Copies {@code clicks} to immutable JSONL files, one record value per line, per partition, in the format that
 * {@code ./tally batch --input DIR} reads: the batch job can then run from files as well as from Kafka. A file is
 * written under a temporary name and renamed (atomically) once it is closed: by record count, by size, or by age,
 * and when its partition moves to another replica or the service stops. Runs when {@code tally.archive.dir} is set.
 * <p>
 * Its own consumer group shares the partitions between replicas, but the files, not that group's offsets, say where
 * each partition stands: on assignment it seeks to the offset after the partition's last closed file and deletes a
 * file left open by a crash, so the archive has neither gaps nor duplicates across restarts.
 */
@ApplicationScoped
public class ClickArchiver {
    private static final Logger LOG = Logger.getLogger(ClickArchiver.class);
    private static final JsonFactory JSON = new JsonFactory();

    @Inject
    ArchiveConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    MeterRegistry registry;

    private volatile boolean running;
    private Thread thread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final Map<Integer, PartitionFile> open = new HashMap<>();
    private Counter written;
    private Counter closedFiles;
    private Counter skipped;

    void onStart(@Observes StartupEvent event) {
        if (config.dir().isEmpty() || config.dir().get().isBlank()) {
            return;
        }
        Path dir = Path.of(config.dir().get()).toAbsolutePath();
        written = registry.counter("tally.aggregator.archive.records.written");
        closedFiles = registry.counter("tally.aggregator.archive.files.closed");
        skipped = registry.counter("tally.aggregator.archive.records.skipped");
        running = true;
        thread = new Thread(() -> run(dir), "tally-archiver");
        thread.start();
        LOG.infof("archiving clicks to %s (a file closes at %d records, %d bytes or %s)", dir,
                config.rotateRecords(), config.rotateBytes(), config.rotateAfter());
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        if (thread == null) {
            return;
        }
        running = false;
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        thread.join(Duration.ofSeconds(20).toMillis());
    }

    private void run(Path dir) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.group());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "tally-archiver");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "2000");
        try {
            Files.createDirectories(dir);
            consumer = new KafkaConsumer<>(props);
            consumer.subscribe(List.of(Topics.CLICKS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    partitions.forEach(tp -> close(tp.partition()));
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    // another replica may be writing them already: what was not closed is not ours to close
                    partitions.forEach(tp -> {
                        PartitionFile file = open.remove(tp.partition());
                        if (file != null) {
                            file.discard();
                        }
                    });
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    for (TopicPartition tp : partitions) {
                        try {
                            long next = ArchiveFiles.resume(dir, tp.partition());
                            consumer.seek(tp, next);
                            LOG.infof("archiver resumes clicks partition %d at offset %d", tp.partition(), next);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
            });
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    append(dir, record);
                }
                long now = System.nanoTime();
                for (Integer partition : List.copyOf(open.keySet())) {
                    if (open.get(partition).due(now)) {
                        close(partition);
                    }
                }
            }
        } catch (WakeupException e) {
            // stopping
        } catch (Exception e) {
            LOG.errorf(e, "the archiver stopped; files already closed are complete, the rest is archived on restart");
        } finally {
            for (Integer partition : List.copyOf(open.keySet())) {
                close(partition);
            }
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
        }
    }

    private void append(Path dir, ConsumerRecord<byte[], byte[]> record) throws IOException {
        byte[] value = line(record);
        if (value == null) {
            skipped.increment();
            return;
        }
        PartitionFile file = open.computeIfAbsent(record.partition(), p -> new PartitionFile(dir, p));
        file.append(record.offset(), value);
        written.increment();
    }

    /**
     * The record's value as one line: as it is when it has no line break (every value ingest writes), compacted
     * when it is JSON spread over lines, and null (skipped, with a warning) when it is neither: such a record is
     * not a readable click on any path of the batch layer.
     */
    private static byte[] line(ConsumerRecord<byte[], byte[]> record) {
        byte[] value = record.value();
        if (value == null) {
            LOG.warnf("clicks partition %d offset %d has no value; not archived", record.partition(), record.offset());
            return null;
        }
        for (byte b : value) {
            if (b == '\n' || b == '\r') {
                try (JsonParser parser = JSON.createParser(value)) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length);
                    try (JsonGenerator generator = JSON.createGenerator(out)) {
                        parser.nextToken();
                        generator.copyCurrentStructure(parser);
                    }
                    if (parser.nextToken() != null) {
                        throw new IOException("more than one JSON value");
                    }
                    return out.toByteArray();
                } catch (IOException e) {
                    LOG.warnf("clicks partition %d offset %d spans lines and is not JSON; not archived: %s",
                            record.partition(), record.offset(), e.getMessage());
                    return null;
                }
            }
        }
        return value;
    }

    private void close(int partition) {
        PartitionFile file = open.remove(partition);
        if (file == null) {
            return;
        }
        try {
            Path closed = file.close();
            closedFiles.increment();
            LOG.debugf("archived %s", closed);
        } catch (IOException e) {
            file.discard();
            LOG.warnf("could not close the archive file of clicks partition %d (its records are archived again "
                    + "after a restart): %s", partition, e.toString());
        }
    }

    /** The open file of one partition. */
    private final class PartitionFile {
        private final Path dir;
        private final int partition;
        private final long openedAt = System.nanoTime();
        private Path temp;
        private FileOutputStream stream;
        private BufferedOutputStream out;
        private long first = -1;
        private long last;
        private long records;
        private long bytes;

        PartitionFile(Path dir, int partition) {
            this.dir = dir;
            this.partition = partition;
        }

        void append(long offset, byte[] value) throws IOException {
            if (out == null) {
                first = offset;
                temp = dir.resolve(ArchiveFiles.openName(partition, offset));
                stream = new FileOutputStream(temp.toFile());
                out = new BufferedOutputStream(stream, 1 << 20);
            }
            out.write(value);
            out.write('\n');
            last = offset;
            records++;
            bytes += value.length + 1;
        }

        boolean due(long now) {
            return records >= config.rotateRecords() || bytes >= config.rotateBytes()
                    || (records > 0 && now - openedAt >= config.rotateAfter().toNanos());
        }

        /** Flushes, syncs and renames the file to its closed name; returns that name. */
        Path close() throws IOException {
            out.flush();
            stream.getFD().sync();
            out.close();
            Path closed = dir.resolve(ArchiveFiles.closedName(partition, first, last));
            Files.move(temp, closed, StandardCopyOption.ATOMIC_MOVE);
            return closed;
        }

        void discard() {
            try {
                if (out != null) {
                    out.close();
                }
                if (temp != null) {
                    Files.deleteIfExists(temp);
                }
            } catch (IOException e) {
                // a leftover open file is deleted when the partition is assigned again
            }
        }
    }
}
