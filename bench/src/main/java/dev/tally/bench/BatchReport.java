package dev.tally.bench;

import static dev.tally.bench.Md.num;
import static dev.tally.bench.Md.row;
import static dev.tally.bench.Md.seconds;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The Markdown report of one batch benchmark run, as printed and written to {@code results/batch-<date>.md}. */
record BatchReport(BatchOptions options, ClickLoader.Result loaded, ConsumerPerfRun.Result perf,
                   BatchBenchmark.Archive archive, BatchBenchmark.KafkaRun first, BatchBenchmark.KafkaRun kafka,
                   BatchBenchmark.FileRun files,
                   boolean identical, ZonedDateTime when, double busyBefore) {
    static final double TARGET_SHARE = 0.50;

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Batch benchmark, ").append(when.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" UTC\n\n");
        md.append(String.format(Locale.ROOT, "One run, one machine, one local KRaft broker. `clicks` (%d partitions) "
                        + "was filled with %,d ClickEvent JSON values (%.0f bytes on average; %,d users as keys, %,d "
                        + "pages, event times over %d min, every event id unique). Then Kafka's ConsumerPerformance "
                        + "read them (its own group). Then aggregator-service (`quarkus-run.jar`, " + AggregatorBenchmark.AGGREGATOR_JVM
                        + ", profile "
                        + "`prod,batch-only`: stream stages off; %d tasks at a time) archived them to JSONL files, and "
                        + "once the archive was complete ran the daily summary (page, UTC date, views, exact unique "
                        + "users): **from Kafka**, `POST /admin/batch-runs` until `GET /admin/batch-runs/{id}` "
                        + "said completed (the run's own duration: horizon, one RecomputeTask per partition over "
                        + "AMQP, partials in PostgreSQL, the merge and the rows on page-summaries), twice in a row: "
                        + "the first run after the service started (its counting code not yet compiled by the JIT) "
                        + "and the second, as a service that has run a batch before runs the next; then **from "
                        + "files**, `tally batch --input` over the archive as its own JVM (-Xmx2g, JVM start "
                        + "included).%n%n", options.partitions(), loaded.events(),
                loaded.bytes() / (double) loaded.events(), options.users(), options.pages(),
                options.eventSpan().toMinutes(), options.workers()));

        md.append("| measure | events/s | ratio to ConsumerPerformance | target |\n|---|---:|---:|---|\n");
        row(md, "Kafka ConsumerPerformance (whole read, including the group join)", num(perf.recordsPerSecond()),
                "1.00", "");
        row(md, "Kafka ConsumerPerformance during fetch only", num(perf.fetchRecordsPerSecond()),
                ratio(perf.fetchRecordsPerSecond() / perf.recordsPerSecond()), "");
        double firstRatio = first.eventsPerSecond() / perf.recordsPerSecond();
        double kafkaRatio = kafka.eventsPerSecond() / perf.recordsPerSecond();
        double fileRatio = files.eventsPerSecond() / perf.recordsPerSecond();
        row(md, "batch run from Kafka, first after the service started (REST API, start to completed)",
                num(first.eventsPerSecond()), ratio(firstRatio),
                "≥ " + ratio(TARGET_SHARE) + ": " + verdict(firstRatio >= TARGET_SHARE));
        row(md, "batch run from Kafka, second (REST API, start to completed)", num(kafka.eventsPerSecond()),
                ratio(kafkaRatio), "≥ " + ratio(TARGET_SHARE) + ": " + verdict(kafkaRatio >= TARGET_SHARE));
        row(md, "batch run from files (`tally batch`, JVM start to exit)", num(files.eventsPerSecond()),
                ratio(fileRatio), "≥ " + ratio(TARGET_SHARE) + ": " + verdict(fileRatio >= TARGET_SHARE));
        row(md, "archiver (clicks to closed JSONL files; setup, for context)", num(archive.recordsPerSecond()),
                ratio(archive.recordsPerSecond() / perf.recordsPerSecond()), "");
        md.append('\n');

        md.append("| detail | from Kafka, first | from Kafka, second | from files | ConsumerPerformance |\n"
                + "|---|---:|---:|---:|---:|\n");
        row(md, "seconds", dec(seconds(first.duration())), dec(seconds(kafka.duration())), dec(seconds(files.wall())),
                dec((perf.rebalanceMs() + perf.fetchMs()) / 1000.0));
        row(md, "events read", num(first.eventsRead()), num(kafka.eventsRead()), num(files.lines()),
                num(perf.records()));
        row(md, "events counted (each event id once)", num(first.eventsCounted()), num(kafka.eventsCounted()),
                num(files.events()), "—");
        row(md, "summary rows", num(first.rows()), num(kafka.rows()), num(files.rows()), "—");
        row(md, "CPU cores busy (the service / the service / the job's JVM / the tool's JVM)",
                dec(first.serviceCores()), dec(kafka.serviceCores()), dec(seconds(files.cpu()) / seconds(files.wall())),
                dec(seconds(perf.toolCpu()) / seconds(perf.wall())));
        row(md, "input", String.format(Locale.ROOT, "%d partitions", options.partitions()),
                String.format(Locale.ROOT, "%d partitions", options.partitions()),
                String.format(Locale.ROOT, "%d files, %.0f MB", files.files(), files.archiveBytes() / 1e6),
                String.format(Locale.ROOT, "%.0f MB/s", perf.mbPerSecond()));
        md.append('\n');
        md.append("The summaries of both runs from Kafka (`GET /admin/batch-runs/").append(first.runId())
                .append("/summary`, `").append(kafka.runId()).append("`) and from files were ").append(identical ? "**byte-identical**"
                        : "**different** (a bug)").append(". Tasks per worker: ").append(kafka.tasksPerWorker())
                .append(String.format(Locale.ROOT, "; the client saw the Kafka runs take %.2f and %.2f s (polling "
                        + "every 100 ms).%n%n", seconds(first.wall()), seconds(kafka.wall())));
        md.append("ConsumerPerformance's result line: `").append(perf.line()).append("`\n\n");
        md.append("Reproduce (from the checkout, a JDK on the PATH is all it needs):\n\n```\nbench/batch.sh ")
                .append(String.join(" ", options.asFlags())).append("\n```\n\n");
        md.append("Machine: ").append(IngestReport.machine()).append(String.format(Locale.ROOT,
                " Before the run it was %.0f%% busy with other work.%n", busyBefore * 100));
        return md.toString();
    }

    private static String dec(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String verdict(boolean met) {
        return met ? "**met**" : "**missed**";
    }
}
