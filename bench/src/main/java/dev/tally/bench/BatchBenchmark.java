package dev.tally.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.ServiceProcess;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How fast the batch layer computes the daily summary of a backlog of clicks, from Kafka (a batch run through
 * aggregator-service's REST API: horizon, RecomputeTasks over AMQP, partial results in PostgreSQL, the merge and
 * the publication on page-summaries) and from files (the archiver's JSONL files of the same log, read by
 * {@code ./tally batch}'s job), next to Kafka's own ConsumerPerformance reading the same records in the same run.
 * Run from {@code bench/target/batch-run} by {@code bench/batch.sh}; everything it starts is stopped at the end,
 * also on failure.
 */
public final class BatchBenchmark {
    static final String ARCHIVED = "tally_aggregator_archive_records_written_total";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern JOB_LINE = Pattern.compile("tally batch: (\\d+) files, (\\d+) lines, (\\d+) events "
            + "\\((\\d+) duplicates, (\\d+) unreadable lines\\) -> (\\d+) rows");

    private final BatchOptions options;
    private final Path home;
    private final Path target;

    private BatchBenchmark(BatchOptions options) {
        this.options = options;
        this.home = BenchOptions.home();
        this.target = home.resolve("bench/target");
    }

    public static void main(String[] args) {
        BatchOptions options;
        try {
            options = BatchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println(e.getMessage());
            }
            System.err.print(BatchOptions.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new BatchBenchmark(options).run());
    }

    /** The Kafka batch run as its status endpoint and the service's CPU saw it. */
    record KafkaRun(String runId, long eventsRead, long eventsCounted, long rows, Duration duration, Duration wall,
                    double serviceCores, Map<String, Long> tasksPerWorker) {
        double eventsPerSecond() {
            return eventsRead / (duration.toNanos() / 1e9);
        }
    }

    /** The file job as a child JVM, the way {@code ./tally batch} runs it. */
    record FileRun(long files, long lines, long events, long rows, long archiveBytes, Duration wall, Duration cpu) {
        double eventsPerSecond() {
            return lines / (wall.toNanos() / 1e9);
        }
    }

    /** How the archiver kept up, from the service's readiness until the archive reached the horizon. */
    record Archive(long records, Duration wall) {
        double recordsPerSecond() {
            return records / (wall.toNanos() / 1e9);
        }
    }

    private int run() {
        System.setProperty("tally.clicks.partitions", Integer.toString(options.partitions()));
        ServiceProcess service = null;
        try {
            Files.createDirectories(target);
            double busyBefore = AggregatorBenchmark.awaitQuiet(options.quietWait());
            AggregatorBenchmark.say("starting the local stack (Kafka, Artemis, PostgreSQL) in "
                    + Path.of("target/tally-test-stack").toAbsolutePath());
            StackInfo stack = LocalStackProcess.start();
            AggregatorBenchmark.say("stack ready; Kafka at " + stack.kafkaBootstrap());

            AggregatorBenchmark.say(String.format("writing %,d events to %s (setup, not measured)", options.events(),
                    Topics.CLICKS));
            ClickLoader.Result loaded = ClickLoader.load(stack.kafkaBootstrap(), options.events(), options.users(),
                    options.pages(), options.eventSpan());
            AggregatorBenchmark.say(String.format("  %,d events, %.0f bytes each on average, in %.1f s",
                    loaded.events(), loaded.bytes() / (double) loaded.events(), loaded.wall().toNanos() / 1e9));

            ConsumerPerfRun.Result perf = ConsumerPerfRun.run(stack.kafkaBootstrap(), Topics.CLICKS,
                    options.events(), target.resolve("consumer-performance.log"));

            Path archive = target.resolve("batch-archive");
            deleteRecursively(archive);
            Path jar = home.resolve("aggregator-service/target/quarkus-app/quarkus-run.jar");
            AggregatorBenchmark.say("starting aggregator-service (" + home.relativize(jar) + ", " + AggregatorBenchmark.AGGREGATOR_JVM
                    + ", profile "
                    + "prod,batch-only: stream stages off, archiver on, into " + archive + ")");
            Set<ProcessHandle> before = AggregatorBenchmark.children();
            service = ServiceProcess.start("aggregator-batch", jar, stack, Map.of(
                    "QUARKUS_PROFILE", "prod,batch-only",
                    "TALLY_ARCHIVE_DIR", archive.toString(),
                    "TALLY_ARCHIVE_ROTATE_AFTER", "PT2S",
                    "TALLY_BATCH_WORKERS", Integer.toString(options.workers())), target);
            ServiceProcess running = service;
            Runtime.getRuntime().addShutdownHook(new Thread(running::close, "bench-batch-stop"));
            ProcessHandle serviceProcess = AggregatorBenchmark.newChild(before, "aggregator-service");

            Archive archived = awaitArchive(service, archive, loaded.events());
            KafkaRun first = kafkaRun(service, serviceProcess, "first", false);
            KafkaRun kafka = kafkaRun(service, serviceProcess, "second", options.jfr());
            FileRun files = fileRun(archive);
            byte[] fromKafka = summary(service, kafka.runId());
            byte[] fromFiles = Files.readAllBytes(target.resolve("batch-files-summary.json"));
            boolean identical = Arrays.equals(fromKafka, fromFiles)
                    && Arrays.equals(summary(service, first.runId()), fromKafka);
            AggregatorBenchmark.say("the summaries from Kafka and from files are " + (identical
                    ? "byte-identical" : "DIFFERENT") + " (" + fromKafka.length + " bytes)");

            String markdown = new BatchReport(options, loaded, perf, archived, first, kafka, files, identical,
                    ZonedDateTime.now(ZoneOffset.UTC), busyBefore).markdown();
            System.out.println();
            System.out.println(markdown);
            if (options.writeResults()) {
                Path results = home.resolve("bench/results/batch-" + LocalDate.now(ZoneOffset.UTC) + ".md");
                Files.createDirectories(results.getParent());
                Files.writeString(results, markdown);
                AggregatorBenchmark.say("written to " + home.relativize(results));
            }
            return identical ? 0 : 3;
        } catch (Exception e) {
            AggregatorBenchmark.say("FAILED: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            if (service != null) {
                AggregatorBenchmark.say("stopping aggregator-service");
                service.close();
            }
            AggregatorBenchmark.say("stopping the local stack");
            LocalStackProcess.stop();
        }
    }

    /** Waits until the archiver has closed files holding every event written; not part of either rate. */
    private Archive awaitArchive(ServiceProcess service, Path archive, long events) throws Exception {
        AggregatorBenchmark.say("waiting for the archiver to write every event to closed files (not measured as the "
                + "batch rate)");
        long start = System.nanoTime();
        long deadline = start + options.timeLimit().toNanos();
        long lastSay = start;
        while (System.nanoTime() < deadline) {
            long lines = closedLines(archive);
            if (lines >= events) {
                Duration wall = Duration.ofNanos(System.nanoTime() - start);
                AggregatorBenchmark.say(String.format("  archive complete: %,d records in %.1f s", lines,
                        wall.toNanos() / 1e9));
                return new Archive(lines, wall);
            }
            if (System.nanoTime() - lastSay > 10_000_000_000L) {
                lastSay = System.nanoTime();
                AggregatorBenchmark.say(String.format("  %,.0f records archived", PromScrape.read(
                        service.url("/q/metrics")).sum(ARCHIVED)));
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the archive did not reach " + events + " records in "
                + options.timeLimit());
    }

    /** Records in closed archive files, from their names (first and last offset). */
    private static long closedLines(Path archive) throws IOException {
        Pattern closed = Pattern.compile("clicks-p\\d+-(\\d{20})-(\\d{20})\\.jsonl");
        long lines = 0;
        if (!Files.isDirectory(archive)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(archive)) {
            for (Path file : files.toList()) {
                Matcher m = closed.matcher(file.getFileName().toString());
                if (m.matches()) {
                    lines += Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)) + 1;
                }
            }
        }
        return lines;
    }

    /**
     * One batch run from Kafka through the REST API, timed by the run itself. The benchmark makes two in a row: the
     * first runs code the service has not run before (the JIT compiles while it counts), the second is what a
     * service that has run a batch before does; both are reported.
     */
    private KafkaRun kafkaRun(ServiceProcess service, ProcessHandle process, String which, boolean jfrOn)
            throws Exception {
        AggregatorBenchmark.say("batch run from Kafka (" + which + "): POST /admin/batch-runs");
        Path jfr = target.resolve("batch-kafka.jfr");
        if (jfrOn) {
            jcmd(process, "JFR.start", "name=batch", "settings=profile", "filename=" + jfr);
        }
        Duration cpu0 = CpuMeter.process(process);
        long start = System.nanoTime();
        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(service.url("/admin/batch-runs"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (started.statusCode() != 202) {
            throw new IllegalStateException("POST /admin/batch-runs answered " + started.statusCode() + ": "
                    + started.body());
        }
        String runId = KafkaTestClient.JSON.readTree(started.body()).get("run_id").asText();
        long deadline = start + options.timeLimit().toNanos();
        long lastSay = start;
        JsonNode status;
        while (true) {
            status = KafkaTestClient.JSON.readTree(get(service, "/admin/batch-runs/" + runId));
            String state = status.get("state").asText();
            if (state.equals("completed")) {
                break;
            }
            if (state.equals("failed") || System.nanoTime() > deadline) {
                throw new IllegalStateException("batch run " + runId + " is " + state + ": " + status);
            }
            if (System.nanoTime() - lastSay > 5_000_000_000L) {
                lastSay = System.nanoTime();
                AggregatorBenchmark.say(String.format("  %s: %,d events read, %d of %d tasks done", state,
                        status.get("events_read").asLong(), status.get("tasks_done").asInt(),
                        status.get("tasks_total").asInt()));
            }
            Thread.sleep(100);
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        Duration cpu = CpuMeter.process(process).minus(cpu0);
        if (jfrOn) {
            jcmd(process, "JFR.stop", "name=batch");
            AggregatorBenchmark.say("  JFR recording of the run: " + jfr
                    + " (jfr print --events jdk.ExecutionSample)");
        }
        Duration duration = Duration.ofMillis(status.get("duration_ms").asLong());
        Map<String, Long> perWorker = new java.util.TreeMap<>();
        status.get("partitions").forEach(p -> perWorker.merge(p.get("worker").asText(), 1L, Long::sum));
        KafkaRun run = new KafkaRun(runId, status.get("events_read").asLong(), status.get("events_counted").asLong(),
                status.get("rows").asLong(), duration, wall, cpu.toNanos() / (double) wall.toNanos(), perWorker);
        AggregatorBenchmark.say(String.format("  completed: %,d events read in %.2f s (%,.0f events/s), %,d rows",
                run.eventsRead(), duration.toNanos() / 1e9, run.eventsPerSecond(), run.rows()));
        return run;
    }

    /** Runs {@code jcmd} on the service, for its JFR recording; a failure is reported, not fatal. */
    private static void jcmd(ProcessHandle process, String... command) throws InterruptedException {
        try {
            String out = Jcmd.run(process, command);
            AggregatorBenchmark.say("  jcmd " + command[0] + ": " + out.replace('\n', ' '));
        } catch (IOException e) {
            AggregatorBenchmark.say("  jcmd " + command[0] + " failed: " + e);
        }
    }

    /** Runs {@code ./tally batch}'s job over the archive as a child JVM, with the heap {@code ./tally} gives it. */
    private FileRun fileRun(Path archive) throws Exception {
        Path app = home.resolve("aggregator-service/target/quarkus-app");
        Path output = target.resolve("batch-files-summary.json");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", app.resolve("app") + "/*:" + app.resolve("lib/main") + "/*",
                "dev.tally.aggregator.batch.DailySummaryJob", "--input", archive.toString(), "--output",
                output.toString());
        AggregatorBenchmark.say("batch run from files: tally batch --input " + home.relativize(archive) + " --output "
                + home.relativize(output));
        long archiveBytes;
        try (Stream<Path> files = Files.list(archive)) {
            archiveBytes = files.mapToLong(p -> p.toFile().length()).sum();
        }
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        Duration cpu;
        try (CpuMeter.Watch watch = new CpuMeter.Watch(process.toHandle())) {
            out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(options.timeLimit().toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("tally batch did not finish in " + options.timeLimit());
            }
            cpu = watch.last();
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        Files.writeString(target.resolve("batch-files.log"), out);
        Matcher m = JOB_LINE.matcher(out);
        if (process.exitValue() != 0 || !m.find()) {
            throw new IllegalStateException("tally batch failed (exit " + process.exitValue() + "):\n" + out);
        }
        FileRun run = new FileRun(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(6)), archiveBytes, wall, cpu);
        AggregatorBenchmark.say(String.format("  %,d lines of %d files in %.2f s (%,.0f events/s), %,d rows",
                run.lines(), run.files(), wall.toNanos() / 1e9, run.eventsPerSecond(), run.rows()));
        return run;
    }

    private static byte[] summary(ServiceProcess service, String runId) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(service.url("/admin/batch-runs/" + runId + "/summary"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
    }

    private static String get(ServiceProcess service, String path) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(service.url(path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
