package dev.tally.aggregator.domain;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The checkpoint tests' way to write a piece of state to bytes and read it back, as a checkpoint holds it. */
final class StateBytes {

    interface Write {
        void to(DataOutputStream out) throws IOException;
    }

    interface Read {
        void from(DataInputStream in) throws IOException;
    }

    static byte[] bytes(Write write) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        write.to(out);
        out.flush();
        return bytes.toByteArray();
    }

    static void read(byte[] data, Read read) throws IOException {
        read.from(in(data));
    }

    static DataInputStream in(byte[] data) {
        return new DataInputStream(new ByteArrayInputStream(data));
    }

    private StateBytes() {
    }
}
