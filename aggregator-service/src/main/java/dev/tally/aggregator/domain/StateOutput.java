package dev.tally.aggregator.domain;

import java.io.DataOutput;
import java.io.UTFDataFormatException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The bytes of a checkpoint or an outbox row, byte for byte as {@link java.io.DataOutputStream} over a
 * {@link java.io.ByteArrayOutputStream} writes them (big-endian numbers, strings in modified UTF-8 after their
 * length), so that {@link java.io.DataInputStream} reads them back, without what those cost on the batch's path:
 * both streams lock on every write (an {@code int} was four locked writes, a string a locked copy of a scratch array),
 * and the JFR profile of the aggregator benchmark had a sixth of the service's samples in {@code writeUTF} alone.
 * Strings of ASCII characters (ids, pages, window names: nearly all of them) are copied in one pass.
 */
public final class StateOutput implements DataOutput {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[] bytes;
    private int size;

    /** @param capacity the bytes it expects to hold (it grows beyond them as needed) */
    public StateOutput(int capacity) {
        this.bytes = new byte[Math.max(capacity, 64)];
    }

    /** How many bytes are written. */
    public int size() {
        return size;
    }

    /** Forgets what was written, keeping the array: the next write starts at the beginning. */
    public void reset() {
        size = 0;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    /** The bytes written, compressed (see {@link Lz4Blobs}). */
    public byte[] toCompressedArray() {
        return Lz4Blobs.compress(bytes, size);
    }

    private void room(int more) {
        if (more > bytes.length - size) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, Math.addExact(size, more)));
        }
    }

    @Override
    public void write(int b) {
        room(1);
        bytes[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b) {
        write(b, 0, b.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        room(len);
        System.arraycopy(b, off, bytes, size, len);
        size += len;
    }

    @Override
    public void writeBoolean(boolean v) {
        write(v ? 1 : 0);
    }

    @Override
    public void writeByte(int v) {
        write(v);
    }

    @Override
    public void writeShort(int v) {
        room(2);
        SHORT.set(bytes, size, (short) v);
        size += 2;
    }

    @Override
    public void writeChar(int v) {
        writeShort(v);
    }

    @Override
    public void writeInt(int v) {
        room(4);
        INT.set(bytes, size, v);
        size += 4;
    }

    @Override
    public void writeLong(long v) {
        room(8);
        LONG.set(bytes, size, v);
        size += 8;
    }

    @Override
    public void writeFloat(float v) {
        writeInt(Float.floatToIntBits(v));
    }

    @Override
    public void writeDouble(double v) {
        writeLong(Double.doubleToLongBits(v));
    }

    @Override
    public void writeBytes(String s) {
        int length = s.length();
        room(length);
        for (int i = 0; i < length; i++) {
            bytes[size + i] = (byte) s.charAt(i);
        }
        size += length;
    }

    @Override
    public void writeChars(String s) {
        for (int i = 0; i < s.length(); i++) {
            writeChar(s.charAt(i));
        }
    }

    /** Modified UTF-8 after a two-byte length, as {@link java.io.DataOutputStream#writeUTF} writes it. */
    @Override
    public void writeUTF(String s) throws UTFDataFormatException {
        int length = s.length();
        if (length <= 65535) {
            room(2 + length);
            int at = size + 2;
            int i = 0;
            for (; i < length; i++) {
                char c = s.charAt(i);
                if (c == 0 || c >= 0x80) {
                    break;
                }
                bytes[at + i] = (byte) c;
            }
            if (i == length) {
                SHORT.set(bytes, size, (short) length);
                size = at + length;
                return;
            }
        }
        writeModifiedUtf8(s);
    }

    /** Any string: one byte for U+0001..U+007F, two for U+0000 and up to U+07FF, three beyond. */
    private void writeModifiedUtf8(String s) throws UTFDataFormatException {
        int length = s.length();
        long encoded = 0;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            encoded += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
        }
        if (encoded > 65535) {
            throw new UTFDataFormatException("encoded string too long: " + encoded + " bytes");
        }
        room(2 + (int) encoded);
        SHORT.set(bytes, size, (short) encoded);
        int at = size + 2;
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c >= 0x0001 && c <= 0x007F) {
                bytes[at++] = (byte) c;
            } else if (c <= 0x07FF) {
                bytes[at++] = (byte) (0xC0 | (c >> 6));
                bytes[at++] = (byte) (0x80 | (c & 0x3F));
            } else {
                bytes[at++] = (byte) (0xE0 | (c >> 12));
                bytes[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                bytes[at++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        size = at;
    }
}
