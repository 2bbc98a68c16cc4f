package dev.tally.aggregator.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tally.aggregator.domain.DailyCounts;
import dev.tally.contracts.ClickEvent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The daily summary batch job over a directory of archived JSONL click files: per page and UTC day of the
 * (corrected) event time, total views and exact unique users. One pass over the input, hash aggregation; an
 * event id that occurs more than once counts once, as in the stream. Files are read in name order and the
 * output is sorted by page then date and written the same way every time, so the same input always gives
 * byte-identical output. A line that cannot be read is counted and reported with its file and line number,
 * never fatal and never silent.
 * <p>
 * Runs without the service around it: {@code ./tally batch --input DIR --output FILE}.
 */
public final class DailySummaryJob {
    private static final int REPORTED_BAD_LINES = 20;
    private static final long PROGRESS_EVERY = 1_000_000;

    /** What a run read. */
    public record Report(long files, long lines, long events, long duplicates, long unreadable, int rows) {
    }

    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
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
        Set<String> seen = new HashSet<>();
        DailyCounts counts = new DailyCounts();
        long lines = 0;
        long events = 0;
        long duplicates = 0;
        long unreadable = 0;
        for (Path file : files) {
            var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file),
                    decoder))) {
                int number = 0;
                while (true) {
                    String line;
                    try {
                        line = reader.readLine();
                    } catch (java.nio.charset.CharacterCodingException e) {
                        unreadable++;
                        badLine(unreadable, input.relativize(file), number + 1, "not UTF-8; the rest of the file "
                                + "is skipped");
                        break;
                    }
                    if (line == null) {
                        break;
                    }
                    number++;
                    lines++;
                    if (line.isBlank()) {
                        continue;
                    }
                    ClickEvent event;
                    try {
                        event = json.readValue(line, ClickEvent.class);
                        if (event.eventId() == null || event.userId() == null || event.pageId() == null
                                || event.eventTime() == null) {
                            throw new IllegalArgumentException("event_id, user_id, page_id and event_time are "
                                    + "required");
                        }
                    } catch (Exception e) {
                        unreadable++;
                        badLine(unreadable, input.relativize(file), number, e.getMessage());
                        continue;
                    }
                    if (!seen.add(event.eventId())) {
                        duplicates++;
                        continue;
                    }
                    events++;
                    counts.add(event);
                    if (lines % PROGRESS_EVERY == 0) {
                        progress.printf("tally batch: %d lines read, %d events, at %s%n", lines, events,
                                input.relativize(file));
                    }
                }
            }
        }
        int rows = write(counts, output);
        return new Report(files.size(), lines, events, duplicates, unreadable, rows);
    }

    private void badLine(long count, Path file, int line, String reason) {
        if (count <= REPORTED_BAD_LINES) {
            String shortReason = reason == null ? "unreadable" : reason.lines().findFirst().orElse(reason);
            progress.printf("tally batch: %s:%d: %s%n", file, line, shortReason);
        } else if (count == REPORTED_BAD_LINES + 1) {
            progress.println("tally batch: more unreadable lines; only their count is reported");
        }
    }

    /** The rows sorted by page, then date; one fixed layout, so that equal input gives equal bytes. */
    private int write(DailyCounts counts, Path output) throws IOException {
        TreeMap<String, TreeMap<java.time.LocalDate, DailyCounts.Tally>> sorted = new TreeMap<>();
        for (Map.Entry<DailyCounts.Key, DailyCounts.Tally> entry : counts.byKey().entrySet()) {
            sorted.computeIfAbsent(entry.getKey().pageId(), p -> new TreeMap<>()).put(entry.getKey().day(),
                    entry.getValue());
        }
        List<String> rows = new ArrayList<>();
        sorted.forEach((page, days) -> days.forEach((day, tally) -> rows.add("{\"page_id\":"
                + json.valueToTree(page) + ",\"date\":\"" + day + "\",\"total_views\":" + tally.views()
                + ",\"unique_users\":" + tally.users().size() + "}")));
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            out.write("[\n");
            for (int i = 0; i < rows.size(); i++) {
                out.write("  " + rows.get(i) + (i + 1 < rows.size() ? ",\n" : "\n"));
            }
            out.write("]\n");
        }
        return rows.size();
    }
}
