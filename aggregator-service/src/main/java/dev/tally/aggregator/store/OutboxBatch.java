package dev.tally.aggregator.store;

import dev.tally.aggregator.domain.Lz4Blobs;
import dev.tally.aggregator.domain.StateOutput;
import dev.tally.aggregator.store.StreamStateRepository.OutRecord;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The records of one outbox row: a batch's records of one partition, in order, compressed ({@link Lz4Blobs}). */
final class OutboxBatch {
    /** Changes whenever the layout below does; a row of another format is refused, not misread. */
    private static final int FORMAT = 1;

    static byte[] encode(List<OutRecord> records) {
        try {
            long bytes = 8;
            for (OutRecord record : records) { // the size it will take, for ASCII topics and keys: one array
                bytes += record.topic().length() + (record.key() == null ? 0 : record.key().length()) + 15
                        + record.value().length;
            }
            StateOutput out = new StateOutput((int) Math.min(bytes, 256 << 20));
            out.writeInt(FORMAT);
            out.writeInt(records.size());
            for (OutRecord record : records) {
                out.writeUTF(record.topic());
                out.writeBoolean(record.key() != null);
                if (record.key() != null) {
                    out.writeUTF(record.key());
                }
                out.writeInt(record.partition() == null ? -1 : record.partition());
                out.writeInt(record.value().length);
                out.write(record.value());
            }
            return out.toCompressedArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<OutRecord> decode(long id, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Lz4Blobs.expand(data)))) {
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IllegalStateException("outbox row " + id + " has format " + format + ", this version "
                        + "reads " + FORMAT);
            }
            int count = in.readInt();
            List<OutRecord> records = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String topic = in.readUTF();
                String key = in.readBoolean() ? in.readUTF() : null;
                int partition = in.readInt();
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                records.add(new OutRecord(id, topic, key, partition < 0 ? null : partition, value));
            }
            return records;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private OutboxBatch() {
    }
}
