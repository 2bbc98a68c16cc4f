package dev.tally.aggregator.batch;

import dev.tally.aggregator.domain.ClickBatch;
import dev.tally.aggregator.domain.ClickFields;
import dev.tally.aggregator.domain.DailyCounts;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The daily summary batch job over a directory of archived JSONL click files (the archiver's files, or any in that
 * format): per page and UTC day of the (corrected) event time, total views and exact unique users. One pass over
 * the input, reading only the four fields it needs from each line ({@link ClickFields}) into one hash aggregation
 * ({@link DailyCounts}), the same code as a batch run's tasks over Kafka; an event id that occurs more than once
 * counts once, as in the stream. Files are read in name order and the
 * output is sorted by page then date and written the same way every time, so the same input always gives
 * byte-identical output. A line that cannot be read is counted and reported with its file and line number,
 * never fatal and never silent.
 * <p>
 * Runs without the service around it: {@code ./tally batch --input DIR --output FILE}.
 */
public final class DailySummaryJob {
    private static final int REPORTED_BAD_LINES = 20;
    private static final long PROGRESS_EVERY = 1_000_000;
    /** Events counted together, so that their lookups in the table of event ids overlap. */
    private static final int BATCH = 64;

    /** What a run read. */
    public record Report(long files, long lines, long events, long duplicates, long unreadable, int rows) {
    }

    private final PrintStream progress;

    public DailySummaryJob(PrintStream progress) {
        this.progress = progress;
    }

    public static void main(String[] args) throws IOException {
        Path input = null;
        Path output = null;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--input")) {
                input = Path.of(args[i + 1]);
            } else if (args[i].equals("--output")) {
                output = Path.of(args[i + 1]);
            }
        }
        if (input == null || output == null) {
            System.err.println("usage: tally batch --input DIR --output FILE");
            System.exit(2);
        }
        if (!Files.isDirectory(input)) {
            System.err.println("tally batch: " + input + " is not a directory of .jsonl files");
            System.exit(2);
        }
        long started = System.nanoTime();
        Report report = new DailySummaryJob(System.err).run(input, output);
        System.err.printf("tally batch: %d files, %d lines, %d events (%d duplicates, %d unreadable lines) -> "
                        + "%d rows in %s, %.1f s%n", report.files(), report.lines(), report.events(),
                report.duplicates(), report.unreadable(), report.rows(), output,
                (System.nanoTime() - started) / 1e9);
    }

    /** Reads every {@code *.jsonl} file under {@code input} and writes the summary to {@code output}. */
    public Report run(Path input, Path output) throws IOException {
        List<Path> files;
        try (Stream<Path> found = Files.walk(input)) {
            files = found.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jsonl"))
                    .sorted(Comparator.comparing(p -> input.relativize(p).toString())).toList();
        }
        DailyCounts counts = new DailyCounts();
        ClickBatch batch = new ClickBatch(counts, BATCH);
        Totals totals = new Totals();
        byte[] buffer = new byte[1 << 20];
        for (Path file : files) {
            Path name = input.relativize(file);
            try (InputStream in = Files.newInputStream(file)) {
                int filled = 0;
                int number = 0;
                boolean end = false;
                while (!end) {
                    int read = in.read(buffer, filled, buffer.length - filled);
                    if (read < 0) {
                        end = true;
                    } else {
                        filled += read;
                    }
                    int start = 0;
                    for (int i = indexOf(buffer, start, filled); i >= 0; i = indexOf(buffer, start, filled)) {
                        line(buffer, start, i, ++number, name, batch, counts, totals);
                        start = i + 1;
                    }
                    if (end && start < filled) {
                        line(buffer, start, filled, ++number, name, batch, counts, totals); // no final newline
                        start = filled;
                    }
                    batch.flush(); // before the buffer's bytes move: the batch reads ids where the lines are
                    // keep the unfinished line; grow the buffer when one line fills it
                    System.arraycopy(buffer, start, buffer, 0, filled - start);
                    filled -= start;
                    if (filled == buffer.length) {
                        buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
                    }
                }
            }
        }
        List<DailyCounts.Row> rows = counts.rows();
        byte[] summary = SummaryJson.write(rows);
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(output, summary);
        return new Report(files.size(), totals.lines, counts.events(), counts.duplicates(), totals.unreadable,
                rows.size());
    }

    /** What a run has read so far. */
    private static final class Totals {
        long lines;
        long unreadable;
    }

    private void line(byte[] buffer, int from, int to, int number, Path file, ClickBatch batch, DailyCounts counts,
                      Totals totals) {
        totals.lines++;
        int end = to > from && buffer[to - 1] == '\r' ? to - 1 : to;
        if (isBlank(buffer, from, end)) {
            return;
        }
        ClickFields fields = batch.next();
        if (fields.parse(buffer, from, end - from)) {
            batch.added();
        } else {
            totals.unreadable++;
            badLine(totals.unreadable, file, number, fields.error());
        }
        if (totals.lines % PROGRESS_EVERY == 0) {
            progress.printf("tally batch: %d lines read, %d events, at %s%n", totals.lines, counts.events(), file);
        }
    }

    private static int indexOf(byte[] buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static boolean isBlank(byte[] buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = buffer[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private void badLine(long count, Path file, long line, String reason) {
        if (count <= REPORTED_BAD_LINES) {
            String shortReason = reason == null ? "unreadable" : reason.lines().findFirst().orElse(reason);
            progress.printf("tally batch: %s:%d: %s%n", file, line, shortReason);
        } else if (count == REPORTED_BAD_LINES + 1) {
            progress.println("tally batch: more unreadable lines; only their count is reported");
        }
    }
}
