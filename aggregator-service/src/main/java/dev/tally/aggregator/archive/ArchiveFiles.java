package dev.tally.aggregator.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The archive's file names, which are also its bookkeeping: a closed file {@code clicks-p3-<first>-<last>.jsonl}
 * holds the records of partition 3 from offset {@code first} to {@code last} (both included, zero-padded so that
 * name order is offset order); a file being written is {@code .clicks-p3-<first>.jsonl.tmp} (hidden, and not
 * {@code .jsonl}, so that no reader takes it for a closed one) and becomes closed by an atomic rename. Where a
 * partition's archive resumes is therefore read from the folder, never from Kafka's committed offsets.
 */
public final class ArchiveFiles {
    private static final Pattern CLOSED = Pattern.compile("clicks-p(\\d+)-(\\d{20})-(\\d{20})\\.jsonl");
    private static final Pattern OPEN = Pattern.compile("\\.clicks-p(\\d+)-(\\d{20})\\.jsonl\\.tmp");

    /** One closed file. */
    public record Closed(Path path, int partition, long first, long last) {
    }

    public static String closedName(int partition, long first, long last) {
        return String.format("clicks-p%d-%020d-%020d.jsonl", partition, first, last);
    }

    static String openName(int partition, long first) {
        return String.format(".clicks-p%d-%020d.jsonl.tmp", partition, first);
    }

    /** The closed files in {@code dir}, by partition then first offset. */
    public static List<Closed> closed(Path dir) throws IOException {
        List<Closed> files = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path path : list.toList()) {
                Matcher m = CLOSED.matcher(path.getFileName().toString());
                if (m.matches()) {
                    files.add(new Closed(path, Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)),
                            Long.parseLong(m.group(3))));
                }
            }
        }
        files.sort(Comparator.comparingInt(Closed::partition).thenComparingLong(Closed::first));
        return files;
    }

    /**
     * The offset at which the archive of {@code partition} goes on: after its last closed file, or 0. A file left
     * open by a process that stopped is deleted: its records are read again and written to a new file.
     */
    static long resume(Path dir, int partition) throws IOException {
        long next = 0;
        for (Closed file : closed(dir)) {
            if (file.partition() == partition) {
                next = Math.max(next, file.last() + 1);
            }
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path path : list.toList()) {
                Matcher m = OPEN.matcher(path.getFileName().toString());
                if (m.matches() && Integer.parseInt(m.group(1)) == partition) {
                    Files.deleteIfExists(path);
                }
            }
        }
        return next;
    }

    private ArchiveFiles() {
    }
}
