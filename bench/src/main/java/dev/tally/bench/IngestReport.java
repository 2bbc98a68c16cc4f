package dev.tally.bench;

import static dev.tally.bench.Md.num;
import static dev.tally.bench.Md.row;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The Markdown that a run prints and keeps in {@code bench/results/}: the figures next to Kafka's own producer and
 * their targets, where the CPU went, whether the log holds what was acknowledged, and how to run it again.
 */
final class IngestReport {
    /** The batch endpoint's target, as a share of ProducerPerformance's records/s. */
    static final double BATCH_TARGET_SHARE = 0.50;
    /** The single-event endpoint's target, requests/s. */
    static final double SINGLE_TARGET_RPS = 10_000;

    /** One measured load and the CPU used meanwhile. */
    record Measured(HttpLoad.Result load, CpuWindow.Use cpu) {
    }

    private final BenchOptions options;
    private final ProducerPerfRun.Result perf;
    private final List<Measured> batches;
    private final List<Measured> singles;
    private final int clicksPartitions;
    private final long acceptedWholeRun;
    private final long eventsSent;
    private final long onTopic;
    private final ZonedDateTime at;
    private final double busyBefore;

    IngestReport(BenchOptions options, ProducerPerfRun.Result perf, List<Measured> batches, List<Measured> singles,
                 int clicksPartitions, long acceptedWholeRun, long eventsSent, long onTopic, ZonedDateTime at,
                 double busyBefore) {
        this.options = options;
        this.perf = perf;
        this.batches = batches;
        this.singles = singles;
        this.clicksPartitions = clicksPartitions;
        this.acceptedWholeRun = acceptedWholeRun;
        this.eventsSent = eventsSent;
        this.onTopic = onTopic;
        this.at = at;
        this.busyBefore = busyBefore;
    }

    String markdown() {
        Measured batch = best(batches);
        Measured single = best(singles);
        HttpLoad.Result b = batch.load();
        HttpLoad.Result s = single.load();
        double batchRatio = b.eventsPerSecond() / perf.recordsPerSecond();
        double singleRatio = s.requestsPerSecond() / perf.recordsPerSecond();
        StringBuilder md = new StringBuilder();
        md.append("# Ingest benchmark, ").append(at.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append("\n\n");
        md.append(String.format(Locale.ROOT, "One run, one machine, one local KRaft broker: Kafka's ProducerPerformance "
                        + "(%,d records of %d bytes, %s, to a fresh topic of %d partitions), then ingest-service "
                        + "(`quarkus-run.jar`, %s) writing to `clicks` (%d partitions) with the same producer "
                        + "settings, loaded over loopback by a one-event-loop Vert.x client: %d s warm-up, then %d s "
                        + "measured per load. Events are %d bytes of JSON, every event id unique.%n%n",
                perf.records(), options.recordBytes(), String.join(" ", ProducerPerfRun.PRODUCER_PROPS),
                options.partitions(), options.ingestJvmArgs(), clicksPartitions, options.warmup().toSeconds(),
                options.duration().toSeconds(), options.recordBytes()));

        md.append("| measure | Tally | Kafka ProducerPerformance | ratio | target |\n");
        md.append("|---|---:|---:|---:|---|\n");
        row(md, "batch endpoint, events/s (" + b.eventsPerRequest() + " per request, " + b.concurrency()
                        + " in flight)", num(b.eventsPerSecond()), num(perf.recordsPerSecond()) + " records/s",
                ratio(batchRatio), "≥ " + ratio(BATCH_TARGET_SHARE) + " × ProducerPerformance: "
                        + verdict(batchRatio >= BATCH_TARGET_SHARE));
        row(md, "single-event endpoint, requests/s (" + s.concurrency() + " in flight)", num(s.requestsPerSecond()),
                num(perf.recordsPerSecond()) + " records/s", ratio(singleRatio),
                "≥ " + num(SINGLE_TARGET_RPS) + " req/s: " + verdict(s.requestsPerSecond() >= SINGLE_TARGET_RPS));
        double batchMib = b.eventsPerSecond() * options.recordBytes() / (1024.0 * 1024.0);
        row(md, "batch endpoint, MiB/s of event payload", dec(batchMib), dec(perf.mbPerSecond()),
                ratio(batchMib / perf.mbPerSecond()), "");
        double perfPerCpu = perf.records() / (perf.toolCpu().toNanos() / 1e9);
        double batchPerCpu = b.eventsPerSecond() / batch.cpu().ingestCores();
        double singlePerCpu = s.requestsPerSecond() / single.cpu().ingestCores();
        row(md, "events per CPU-second of the sending JVM (Tally: ingest-service, batch / single; Kafka: "
                        + "ProducerPerformance's JVM, start-up included)",
                num(batchPerCpu) + " / " + num(singlePerCpu), num(perfPerCpu), ratio(batchPerCpu / perfPerCpu)
                        + " / " + ratio(singlePerCpu / perfPerCpu), "");
        row(md, "latency p50 / p99, ms (Tally: batch request; Kafka: record send → ack)",
                ms(b.latency().p50Ms(), b.latency().p99Ms()), ms(perf.p50Ms(), perf.p99Ms()), "", "");
        row(md, "latency p50 / p99, ms (Tally: single-event request; Kafka: as above)",
                ms(s.latency().p50Ms(), s.latency().p99Ms()), ms(perf.p50Ms(), perf.p99Ms()), "", "");
        row(md, "latency max, ms (Tally: batch / single request; Kafka: record)",
                dec(b.latency().maxMs()) + " / " + dec(s.latency().maxMs()), dec(perf.maxLatencyMs()), "", "");
        row(md, "batch: answers not 200 (of which 503)", b.otherAnswers() + " (" + b.status(503) + ")", "—", "",
                "0");
        row(md, "batch: 200 answers not accepting all events", Long.toString(b.incompleteAnswers()), "—", "", "0");
        row(md, "single: answers not 202 (of which 503)", s.otherAnswers() + " (" + s.status(503) + ")", "—", "",
                "0");
        row(md, "transport errors (batch / single)", b.transportErrors() + " / " + s.transportErrors(), "—", "", "0");
        md.append('\n');

        md.append("Where the CPU went (cores busy on average; the machine has ")
                .append(Runtime.getRuntime().availableProcessors()).append("):\n\n");
        md.append("| load | load generator (its event loop) | ingest-service | stack: Kafka broker + Artemis "
                + "| ProducerPerformance | other processes, not this run | machine busy |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        double perfSeconds = perf.wall().toNanos() / 1e9;
        double perfStack = perf.stackCpu().toNanos() / 1e9 / perfSeconds;
        double perfTool = perf.toolCpu().toNanos() / 1e9 / perfSeconds;
        row(md, "ProducerPerformance (whole run, " + dec(perfSeconds) + " s)", "—", "—", dec(perfStack),
                dec(perfTool), dec(Math.max(0, perf.machineBusy() * cores() - perfStack - perfTool)),
                pct(perf.machineBusy()));
        for (Measured m : concat(batches, singles)) {
            HttpLoad.Result r = m.load();
            CpuWindow.Use u = m.cpu();
            row(md, r.kind().path + ", " + r.concurrency() + " in flight",
                    dec(u.clientCores()) + " (" + pct(u.clientLoopShare()) + " of one core)", dec(u.ingestCores()),
                    dec(u.stackCores()), "—", dec(u.otherCores()), pct(u.machineBusy()));
        }
        md.append('\n');
        double loop = concat(batches, singles).stream().mapToDouble(m -> m.cpu().clientLoopShare()).max()
                .orElse(Double.NaN);
        md.append(String.format(Locale.ROOT, "The load generator is one event-loop thread; it was busy at most %s of "
                + "one core, so it %s.%n%n", pct(loop), loop < 0.8 ? "waited on ingest-service rather than the other "
                + "way round (it was not the bottleneck)" : "was near its limit: read the figures as a lower bound "
                + "of what ingest-service can take"));

        if (batches.size() > 1 || singles.size() > 1) {
            md.append("Every load of this run:\n\n");
            md.append("| load | events/s | requests/s | p50 ms | p99 ms | not 2xx (503) | transport errors |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|\n");
            for (Measured m : concat(batches, singles)) {
                HttpLoad.Result r = m.load();
                row(md, r.kind().path + ", " + r.concurrency() + " in flight", num(r.eventsPerSecond()),
                        num(r.requestsPerSecond()), dec(r.latency().p50Ms()), dec(r.latency().p99Ms()),
                        r.otherAnswers() + " (" + r.status(503) + ")", Long.toString(r.transportErrors()));
            }
            md.append('\n');
        }

        md.append(String.format(Locale.ROOT, "Nothing lost: %,d events sent in the whole run (warm-ups included), "
                        + "%,d answered as accepted, %,d records on `clicks`%s.%n%n", eventsSent, acceptedWholeRun,
                onTopic, onTopic == acceptedWholeRun ? " (equal)" : onTopic > acceptedWholeRun
                        ? " (more than accepted: events of requests that timed out or failed part-way were written)"
                        : " (FEWER than accepted: an acknowledged event is missing)"));
        md.append("ProducerPerformance's summary line: `").append(perf.summaryLine()).append("`\n\n");
        md.append("Reproduce (from the checkout, a JDK on the PATH is all it needs):\n\n```\nbench/ingest.sh ")
                .append(String.join(" ", options.asFlags())).append("\n```\n\n");
        md.append("Machine: ").append(machine()).append(String.format(Locale.ROOT, " Before the run it was %s busy "
                + "with other work.%n", pct(busyBefore)));
        return md.toString();
    }

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static Measured best(List<Measured> loads) {
        return loads.stream().max(Comparator.comparingDouble(m -> m.load().eventsPerSecond())).orElseThrow();
    }

    private static List<Measured> concat(List<Measured> a, List<Measured> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String dec(double value) {
        return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, value >= 100 ? "%,.0f" : "%.2f", value);
    }

    private static String ms(double p50, double p99) {
        return dec(p50) + " / " + dec(p99);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String pct(double share) {
        return Double.isNaN(share) ? "—" : String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static String verdict(boolean met) {
        return met ? "**met**" : "**missed**";
    }

    /** Cores, CPU model, memory, operating system and Java: what a reader needs to compare with their machine. */
    static String machine() {
        String model = "unknown CPU";
        try {
            model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(model);
        } catch (IOException | RuntimeException e) {
            // not Linux: the rest still says enough
        }
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        Map<String, String> p = System.getProperties().entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().toString(), e -> e.getValue().toString()));
        return String.format(Locale.ROOT, "%d cores (%s), %.0f GiB memory, %s %s (%s); Java %s (%s %s), used by "
                        + "every JVM of the run.", Runtime.getRuntime().availableProcessors(), model,
                memory / (double) (1L << 30), p.get("os.name"), p.get("os.version"), p.get("os.arch"),
                p.get("java.runtime.version"), p.get("java.vm.vendor"), p.get("java.vm.name"));
    }
}
