package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Blobs come back as they went in, compressed or not, and blobs written before compression still read. */
class Lz4BlobsTest {

    @Test
    void whatCompressesComesBackAndIsSmaller() {
        StringBuilder json = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            json.append("{\"page_id\":\"/page-").append(i % 97).append("\",\"views\":").append(i).append("}");
        }
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        byte[] stored = Lz4Blobs.compress(raw, raw.length);
        assertTrue(stored.length < raw.length / 3, stored.length + " of " + raw.length);
        assertArrayEquals(raw, Lz4Blobs.expand(stored));
    }

    @Test
    void whatDoesNotCompressIsStoredAsItIs() {
        Random random = new Random(7);
        for (int length : new int[] {0, 1, 7, 8, 100, 70_000}) {
            byte[] raw = new byte[length];
            random.nextBytes(raw);
            byte[] stored = Lz4Blobs.compress(raw, raw.length);
            assertArrayEquals(raw, stored, "random bytes do not shrink: stored as they are");
            assertArrayEquals(raw, Lz4Blobs.expand(stored));
        }
    }

    @Test
    void onlyThePrefixGivenIsCompressed() {
        byte[] buffer = new byte[10_000]; // zeros: compresses well
        buffer[9_999] = 1;
        byte[] stored = Lz4Blobs.compress(buffer, 5_000);
        assertArrayEquals(new byte[5_000], Lz4Blobs.expand(stored));
    }

    @Test
    void aBlobWrittenBeforeCompressionReadsAsItIs() throws Exception {
        StateOutput out = new StateOutput(64);
        out.writeInt(4); // every uncompressed checkpoint and outbox row starts with a small format number
        out.writeUTF("/pricing");
        byte[] old = out.toByteArray();
        assertSame(old, Lz4Blobs.expand(old));
    }
}
