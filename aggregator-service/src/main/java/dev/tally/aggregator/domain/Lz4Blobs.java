package dev.tally.aggregator.domain;

import net.jpountz.lz4.LZ4Factory;

import java.nio.ByteBuffer;

/**
 * The blobs the stream engine keeps in PostgreSQL (checkpoint deltas and snapshots, outbox rows), LZ4-compressed
 * before they are stored: at 10,000 clicks/s they were about 17 MB a second of strings and JSON that compress
 * several times, and PostgreSQL wrote each of them to its WAL (and compressed nothing: the columns are stored as
 * they come, since its own pglz cost more CPU than it saved; the embedded server has no LZ4 of its own).
 * <p>
 * A compressed blob starts with {@link #MAGIC} and its original length. Every uncompressed blob Tally ever wrote
 * starts with a small format number instead, so both are read, and a blob that would not shrink is stored as is.
 */
public final class Lz4Blobs {
    /** "LZ4" and 1. */
    static final int MAGIC = 0x4C5A3401;
    private static final int HEADER = 8;
    /** No checkpoint or outbox row is larger (PostgreSQL's limit for a value is 1 GB). */
    private static final int MAX_LENGTH = 1 << 30;
    /** Why the JNI codec did not load, or null if it did. */
    private static String nativeMissing;
    private static final LZ4Factory LZ4 = factory();

    private Lz4Blobs() {
    }

    /**
     * lz4-java's JNI codec, about two and a half times as fast as its Java one on blobs like these (the Java one took
     * a sixth of the aggregator's CPU in {@code bench/aggregator.sh}), or the Java one where the native library does
     * not load (no library in the jar for this platform, or a temporary directory it cannot be loaded from).
     * {@code fastestInstance()} would always give the Java one here: it loads the native library only for classes of
     * the system class loader, and Quarkus loads the application with its own. Both write the same LZ4 blocks.
     */
    private static LZ4Factory factory() {
        try {
            return LZ4Factory.nativeInstance();
        } catch (Throwable notLoaded) {
            nativeMissing = notLoaded.toString();
            return LZ4Factory.fastestJavaInstance();
        }
    }

    /** Which codec compresses (and why not the native one, if so), for the start-up log. */
    public static String codec() {
        return nativeMissing == null ? LZ4.toString() : LZ4 + " (the native library did not load: " + nativeMissing
                + ")";
    }

    /** The first {@code length} bytes of {@code raw}, compressed; or a copy of them if that is no smaller. */
    public static byte[] compress(byte[] raw, int length) {
        var compressor = LZ4.fastCompressor();
        int room = HEADER + compressor.maxCompressedLength(length);
        byte[] out = room <= SCRATCH_LIMIT ? scratch(room) : new byte[room];
        int compressed = compressor.compress(raw, 0, length, out, HEADER, out.length - HEADER);
        if (HEADER + compressed >= length) {
            return java.util.Arrays.copyOf(raw, length);
        }
        ByteBuffer.wrap(out).putInt(MAGIC).putInt(length);
        return java.util.Arrays.copyOf(out, HEADER + compressed);
    }

    /**
     * Each thread's array to compress into, up to {@link #SCRATCH_LIMIT}: the blob is copied out at its size, where
     * a new array of the largest size a blob could take was made for each (the deltas and outbox rows of every
     * batch).
     */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[64 * 1024]);
    private static final int SCRATCH_LIMIT = 4 << 20;

    private static byte[] scratch(int room) {
        byte[] scratch = SCRATCH.get();
        if (scratch.length < room) {
            scratch = new byte[Math.max(room, Math.min(SCRATCH_LIMIT, scratch.length * 2))];
            SCRATCH.set(scratch);
        }
        return scratch;
    }

    /** The blob as it was before {@link #compress}: expanded, or itself if it was stored as is. */
    public static byte[] expand(byte[] stored) {
        ByteBuffer header = ByteBuffer.wrap(stored);
        if (stored.length < HEADER || header.getInt(0) != MAGIC) {
            return stored;
        }
        int length = header.getInt(4);
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalStateException("a compressed blob says it holds " + length + " bytes");
        }
        byte[] raw = new byte[length];
        int expanded = LZ4.safeDecompressor().decompress(stored, HEADER, stored.length - HEADER, raw, 0, length);
        if (expanded != length) {
            throw new IllegalStateException("a compressed blob held " + expanded + " bytes, not " + length);
        }
        return raw;
    }
}
