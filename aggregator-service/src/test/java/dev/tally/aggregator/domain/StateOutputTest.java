package dev.tally.aggregator.domain;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** StateOutput writes the very bytes DataOutputStream writes, so that checkpoints read back as before. */
class StateOutputTest {

    /** One write of any kind, with its value. */
    record Op(int kind, long number, String text, byte[] raw) {
        void applyTo(DataOutput out) throws IOException {
            switch (kind) {
                case 0 -> out.writeInt((int) number);
                case 1 -> out.writeLong(number);
                case 2 -> out.writeBoolean(number % 2 == 0);
                case 3 -> out.writeUTF(text);
                case 4 -> out.writeDouble(Double.longBitsToDouble(number));
                case 5 -> out.writeShort((int) number);
                case 6 -> out.write(raw);
                case 7 -> out.write((int) number);
                case 8 -> out.writeFloat(Float.intBitsToFloat((int) number));
                case 9 -> out.writeChars(text);
                default -> out.writeBytes(text);
            }
        }
    }

    @Property(tries = 300)
    void writesWhatDataOutputStreamWrites(@ForAll("ops") List<Op> ops) throws IOException {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DataOutputStream reference = new DataOutputStream(expected);
        StateOutput actual = new StateOutput(1); // grows many times on the way
        for (Op op : ops) {
            op.applyTo(reference);
            op.applyTo(actual);
        }
        reference.flush();
        assertArrayEquals(expected.toByteArray(), actual.toByteArray());
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        // ASCII, U+0000, two- and three-byte characters and lone surrogates, as Java strings may hold them
        Arbitrary<String> text = Arbitraries.oneOf(
                Arbitraries.strings().ascii().ofMaxLength(80),
                Arbitraries.strings().withCharRange('\u0000', '\uffff').ofMaxLength(40),
                Arbitraries.strings().withChars('a', '\u0000', '\u00e9', '\u07ff', '\u0800', '\ud83d', '\ude00')
                        .ofMaxLength(20));
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 10),
                        Arbitraries.longs(), text, Arbitraries.bytes().array(byte[].class).ofMaxSize(300))
                .as(Op::new);
        return op.list().ofMaxSize(60);
    }

    @Test
    void refusesAStringLongerThanModifiedUtf8Allows() {
        String tooLong = "\u00e9".repeat(40_000); // 80,000 bytes encoded
        assertThrows(UTFDataFormatException.class, () -> new StateOutput(16).writeUTF(tooLong));
        assertThrows(UTFDataFormatException.class,
                () -> new DataOutputStream(new ByteArrayOutputStream()).writeUTF(tooLong));
    }
}
