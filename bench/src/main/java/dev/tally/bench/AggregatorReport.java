package dev.tally.bench;

import static dev.tally.bench.Md.num;
import static dev.tally.bench.Md.row;
import static dev.tally.bench.Md.seconds;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Markdown that an aggregator run prints and keeps in {@code bench/results/}: the service's events/s next to
 * Kafka's own consumer of the same records and the target, the peers from TOOLCHAIN.md as context, commit latency
 * and CPU, and how to run it again.
 */
final class AggregatorReport {
    /** The aggregator's target, events/s sustained. */
    static final double TARGET_EVENTS_PER_SECOND = 100_000;

    private final AggregatorOptions options;
    private final ClickLoader.Result loaded;
    private final ConsumerPerfRun.Result perf;
    private final AggregatorBenchmark.Measured m;
    private final Duration startup;
    private final ZonedDateTime at;
    private final double busyBefore;

    AggregatorReport(AggregatorOptions options, ClickLoader.Result loaded, ConsumerPerfRun.Result perf,
                     AggregatorBenchmark.Measured measured, Duration startup, ZonedDateTime at, double busyBefore) {
        this.options = options;
        this.loaded = loaded;
        this.perf = perf;
        this.m = measured;
        this.startup = startup;
        this.at = at;
        this.busyBefore = busyBefore;
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Aggregator benchmark, ").append(at.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append("\n\n");
        md.append(String.format(Locale.ROOT, "One run, one machine, one local KRaft broker. `clicks` (%d partitions) "
                        + "was filled with %,d ClickEvent JSON values (%.0f bytes on average; %,d users as keys, %,d "
                        + "pages, event times rising over %d min with up to %d s of disorder, every event id unique). "
                        + "Then Kafka's ConsumerPerformance read them (its own group), then aggregator-service "
                        + "(`quarkus-run.jar`, " + AggregatorBenchmark.AGGREGATOR_JVM
                        + ", fresh database, default windows: tumbling 1 min, hopping "
                        + "5 min/1 min final, tumbling 1 day, sessions 30 min; `TALLY_AGGREGATOR_IDLE_TIMEOUT=%s`) "
                        + "was started and timed from its readiness until `%s` reached %,d and `%s` then did not "
                        + "grow for %d s (polled every 500 ms; the time ends at the last poll that saw it grow).%n%n",
                options.partitions(), loaded.events(), loaded.bytes() / (double) loaded.events(), options.users(),
                options.pages(), options.eventSpan().toMinutes(), ClickLoader.DISORDER_MS / 1000,
                options.aggregatorIdleTimeout(), AggregatorBenchmark.COUNTED, m.events(),
                AggregatorBenchmark.PUBLISHED, options.settle().toSeconds()));
        if (!m.complete()) {
            md.append(String.format(Locale.ROOT, "**Incomplete:** the time limit (%d s) ended the run with %,.0f of "
                    + "%,d events counted; the rate below is of the events counted so far.%n%n",
                    options.timeLimit().toSeconds(), m.counted(), m.events()));
        }

        double rate = m.eventsPerSecond();
        double ratio = rate / perf.recordsPerSecond();
        md.append("| measure | Tally | Kafka ConsumerPerformance | ratio | target |\n");
        md.append("|---|---:|---:|---:|---|\n");
        row(md, "events/s, whole backlog (Tally: readiness → counted and published; Kafka: including the group join)",
                num(rate), num(perf.recordsPerSecond()), ratio(ratio), "≥ " + num(TARGET_EVENTS_PER_SECOND)
                        + " events/s sustained: " + (rate >= TARGET_EVENTS_PER_SECOND && m.complete()
                        ? "**met**" : "**missed**"));
        double secondHalf = m.secondHalfPerSecond();
        row(md, "events/s, second half of the backlog (from the poll that saw half the events counted to the last "
                        + "result: the JIT has compiled the hot paths)", Double.isNaN(secondHalf) ? "—" : num(secondHalf),
                "—", Double.isNaN(secondHalf) ? "" : ratio(secondHalf / perf.recordsPerSecond()),
                Double.isNaN(secondHalf) ? "" : "≥ " + num(TARGET_EVENTS_PER_SECOND) + ": "
                        + (secondHalf >= TARGET_EVENTS_PER_SECOND && m.complete() ? "**met**" : "**missed**"));
        row(md, "events/s, Kafka during fetch only (rebalance excluded)", "—", num(perf.fetchRecordsPerSecond()),
                ratio(rate / perf.fetchRecordsPerSecond()), "");
        row(md, "seconds for the backlog", dec(seconds(m.elapsed())), dec(perf.fetchMs() / 1000.0 + perf.rebalanceMs()
                / 1000.0), "", "");
        row(md, "seconds until every event was counted (results still to come)",
                m.toCounted() == null ? "—" : dec(seconds(m.toCounted())), "—", "", "");
        double aggPerCpu = rate / m.aggregatorCores();
        double perfPerCpu = perf.records() / seconds(perf.toolCpu());
        row(md, "events per CPU-second (Tally: aggregator-service during the backlog; Kafka: its JVM, start-up "
                + "included)", num(aggPerCpu), num(perfPerCpu), ratio(aggPerCpu / perfPerCpu), "");
        row(md, "events counted / results published", String.format(Locale.ROOT, "%,.0f / %,.0f", m.counted(),
                m.published()), "—", "", "");
        md.append('\n');

        md.append("Peers, **not measured in this run**: TOOLCHAIN.md's figures from one run on this machine kind on "
                + "2026-11-23 (1,000,000 records, 8 partitions, views and HLL unique users per page for tumbling 1 min, "
                + "hopping 5 min/1 min and tumbling 1 day, exactly-once, two threads, reading the topic from the "
                + "start). Context only: they did not run next to this one, and Tally also keeps sessions.\n\n");
        md.append("| engine | events/s (TOOLCHAIN.md) | Tally in this run, as a ratio |\n|---|---:|---:|\n");
        row(md, "Kafka Streams 4.1.1, exactly_once_v2", "≈ 22,000", ratio(rate / 22_000));
        row(md, "Flink 2.0 MiniCluster, checkpoints every second, exactly-once sink", "≈ 58,000", ratio(rate / 58_000));
        md.append('\n');

        md.append("Batch commit latency from `").append(AggregatorBenchmark.COMMIT).append("` at the end (p50/p99 "
                + "are Micrometer's over its recent, decaying window; mean and count over the whole run):\n\n");
        md.append("| stage | batches | mean ms | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
        Map<String, double[]> stages = new TreeMap<>();
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.COMMIT)) {
            double[] v = stages.computeIfAbsent(s.labels().getOrDefault("stage", "?"), k -> new double[] {
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN});
            String q = s.labels().get("quantile");
            if ("0.5".equals(q)) {
                v[0] = s.value();
            } else if ("0.99".equals(q)) {
                v[1] = s.value();
            }
        }
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.COMMIT + "_count")) {
            stages.computeIfAbsent(s.labels().getOrDefault("stage", "?"), k -> new double[] {Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, Double.NaN})[2] = s.value();
        }
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.COMMIT + "_sum")) {
            double[] v = stages.get(s.labels().getOrDefault("stage", "?"));
            if (v != null) {
                v[3] = s.value();
            }
        }
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.COMMIT + "_max")) {
            double[] v = stages.get(s.labels().getOrDefault("stage", "?"));
            if (v != null) {
                v[4] = s.value();
            }
        }
        if (stages.isEmpty()) {
            md.append("| (the metric was not present) | | | | | |\n");
        }
        stages.forEach((stage, v) -> row(md, stage, num(v[2]), dec(v[3] / v[2] * 1000), dec(v[0] * 1000),
                dec(v[1] * 1000), dec(v[4] * 1000)));
        md.append('\n');

        storedPerEvent(md, m);

        md.append(String.format(Locale.ROOT, "Where the CPU went during the backlog (cores busy on average; the "
                        + "machine has %d): aggregator-service %s, stack (Kafka broker + Artemis; PostgreSQL runs "
                        + "detached and is counted apart) %s, PostgreSQL %s, machine busy %s. ConsumerPerformance's JVM used %.1f "
                        + "CPU-s over %.1f s of wall time.%n%n", Runtime.getRuntime().availableProcessors(),
                dec(m.aggregatorCores()), dec(m.stackCores()), dec(m.postgresCores()), pct(m.machineBusy()), seconds(perf.toolCpu()),
                seconds(perf.wall())));
        md.append(String.format(Locale.ROOT, "Setup: the loader wrote the events at %,.0f events/s (acks=all, "
                        + "linger.ms=5, batch.size=65536; not a measurement). aggregator-service took %.1f s from "
                        + "process start to readiness (not in the rate).%n%n", loaded.eventsPerSecond(),
                seconds(startup)));
        md.append("ConsumerPerformance's result line: `").append(perf.line()).append("`\n\n");
        md.append("Reproduce (from the checkout, a JDK on the PATH is all it needs):\n\n```\nbench/aggregator.sh ")
                .append(String.join(" ", options.asFlags())).append("\n```\n\n");
        md.append("Machine: ").append(IngestReport.machine()).append(String.format(Locale.ROOT,
                " Before the run it was %s busy with other work.%n", pct(busyBefore)));
        return md.toString();
    }

    private static String dec(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—"
                : String.format(Locale.ROOT, value >= 100 ? "%,.0f" : "%.2f", value);
    }

    private static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String pct(double share) {
        return Double.isNaN(share) ? "—" : String.format(Locale.ROOT, "%.0f%%", share * 100);
    }
    /**
     * What the checkpoints and the outbox stored per event counted, by stage, from the service's own byte metrics
     * (checkpoint bytes after compression; outbox bytes before it): the same every run, unlike the rates.
     */
    private static void storedPerEvent(StringBuilder md, AggregatorBenchmark.Measured m) {
        double events = m.counted();
        Map<String, double[]> stored = new TreeMap<>();
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.CHECKPOINT_BYTES + "_sum")) {
            double[] v = stored.computeIfAbsent(s.labels().getOrDefault("stage", "?"), k -> new double[3]);
            v["snapshot".equals(s.labels().get("kind")) ? 1 : 0] += s.value();
        }
        for (PromScrape.Sample s : m.last().all(AggregatorBenchmark.OUTBOX_BYTES + "_sum")) {
            stored.computeIfAbsent(s.labels().getOrDefault("stage", "?"), k -> new double[3])[2] += s.value();
        }
        if (stored.isEmpty() || events <= 0) {
            return;
        }
        md.append("Stored per event counted, from `tally_aggregator_checkpoint_bytes` (compressed) and "
                + "`tally_aggregator_outbox_bytes` (UTF-8 bytes, before compression):\n\n");
        md.append("| stage | checkpoint deltas, bytes | snapshots, bytes | outbox, bytes |\n"
                + "|---|---:|---:|---:|\n");
        stored.forEach((stage, v) -> row(md, stage, dec(v[0] / events), dec(v[1] / events), dec(v[2] / events)));
        md.append('\n');
    }

}
