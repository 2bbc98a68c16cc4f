package dev.tally.bench;

import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.LocalStackProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How fast ingest-service takes events compared with Kafka's own producer on the same broker, in one run on one
 * machine: starts the real stack, runs ProducerPerformance, starts the packaged service, loads its batch and its
 * single-event endpoint over loopback, and prints (and writes to {@code bench/results/}) a Markdown table.
 * Run by {@code bench/ingest.sh} from {@code bench/target/ingest-run}, where the stack keeps its data; everything it
 * starts is stopped at the end, also on failure.
 */
public final class IngestBenchmark {
    private static final String PERF_TOPIC = "bench-producer-perf";
    private static final java.time.format.DateTimeFormatter CLOCK =
            java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    private final BenchOptions options;
    private final Path home;
    private final Path target;

    private IngestBenchmark(BenchOptions options) {
        this.options = options;
        this.home = BenchOptions.home();
        this.target = home.resolve("bench/target");
    }

    public static void main(String[] args) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println(e.getMessage());
            }
            System.err.print(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new IngestBenchmark(options).run());
    }

    static void say(String line) {
        System.out.println("[bench " + CLOCK.format(java.time.LocalTime.now()) + "] " + line);
        System.out.flush();
    }

    private int run() {
        // LocalStackProcess creates clicks with this many partitions (default 4); the reference topic gets the same.
        System.setProperty("tally.clicks.partitions", Integer.toString(options.partitions()));
        IngestServiceProcess ingest = null;
        Vertx vertx = null;
        try {
            Files.createDirectories(target);
            double busyBefore = awaitQuiet(options.quietWait());
            say("starting the local stack (Kafka, Artemis, PostgreSQL) in " + Path.of("target/tally-test-stack")
                    .toAbsolutePath());
            Set<ProcessHandle> before = children();
            StackInfo stack = LocalStackProcess.start();
            ProcessHandle stackProcess = children().stream().filter(p -> !before.contains(p)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("the stack's process is not a child of this JVM"));
            say("stack ready; Kafka at " + stack.kafkaBootstrap());

            ProducerPerfRun.createTopic(stack.kafkaBootstrap(), PERF_TOPIC, options.partitions());
            ProducerPerfRun.Result perf = ProducerPerfRun.run(stack.kafkaBootstrap(), PERF_TOPIC, options.records(),
                    options.recordBytes(), target.resolve("producer-performance.log"), stackProcess);

            ingest = IngestServiceProcess.start(home, stack, options.ingestJvmArgs(),
                    target.resolve("ingest-service.log"));
            // Ctrl-C skips the finally below; the stack has its own hook, the service gets this one
            Runtime.getRuntime().addShutdownHook(new Thread(ingest::close, "bench-ingest-stop"));
            int clicksPartitions = partitions(stack.kafkaBootstrap(), Topics.CLICKS);
            say("ingest-service ready on 127.0.0.1:" + ingest.port() + "; topic clicks has " + clicksPartitions
                    + " partitions");

            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
                    .setInternalBlockingPoolSize(1));
            EventFactory events = new EventFactory(options.recordBytes());
            HttpLoad load = new HttpLoad(vertx, ingest.port(), events);
            List<IngestReport.Measured> batches = new ArrayList<>();
            for (int concurrency : options.batchConcurrency()) {
                batches.add(measure(load, ingest, stackProcess, HttpLoad.Kind.BATCH, concurrency));
            }
            List<IngestReport.Measured> singles = new ArrayList<>();
            for (int concurrency : options.singleConcurrency()) {
                singles.add(measure(load, ingest, stackProcess, HttpLoad.Kind.SINGLE, concurrency));
            }
            long acceptedWholeRun = batches.stream().mapToLong(m -> m.load().acceptedWholeRun()).sum()
                    + singles.stream().mapToLong(m -> m.load().acceptedWholeRun()).sum();
            // an event is answered as accepted only once Kafka acknowledged it, so the log holds every one by now
            long onTopic = endOffsets(stack.kafkaBootstrap(), Topics.CLICKS);

            IngestReport report = new IngestReport(options, perf, batches, singles, clicksPartitions, acceptedWholeRun,
                    events.issued(), onTopic, ZonedDateTime.now(ZoneOffset.UTC), busyBefore);
            String markdown = report.markdown();
            System.out.println();
            System.out.println(markdown);
            if (options.writeResults()) {
                Path results = home.resolve("bench/results/ingest-" + LocalDate.now(ZoneOffset.UTC) + ".md");
                Files.createDirectories(results.getParent());
                Files.writeString(results, markdown);
                say("written to " + home.relativize(results));
            }
            return 0;
        } catch (Exception e) {
            say("FAILED: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            if (vertx != null) {
                try {
                    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    say("closing the HTTP client: " + e);
                }
            }
            if (ingest != null) {
                say("stopping ingest-service");
                ingest.close();
            }
            say("stopping the local stack");
            LocalStackProcess.stop();
        }
    }

    private IngestReport.Measured measure(HttpLoad load, IngestServiceProcess ingest, ProcessHandle stack,
                                          HttpLoad.Kind kind, int concurrency) throws Exception {
        String phase = kind.name().toLowerCase() + "-" + concurrency;
        Path jfr = target.resolve("ingest-" + phase + ".jfr");
        CpuWindow cpu = new CpuWindow(ingest.handle(), stack, () -> {
            if (options.jfr()) {
                ingest.startRecording(phase, options.duration(), jfr);
            }
        });
        say(kind.path + " with " + concurrency + " in flight: " + options.warmup().toSeconds() + " s warm-up, "
                + options.duration().toSeconds() + " s measured");
        HttpLoad.Result result = load.run(kind, concurrency, options.batchEvents(), options.warmup(),
                options.duration(), cpu);
        CpuWindow.Use use = cpu.use(result);
        say(String.format("  %,.0f events/s, %,.0f requests/s, p50 %.1f ms, p99 %.1f ms, other answers %s, "
                        + "transport errors %d; CPU cores: client %.2f (event loop %.0f%%), ingest %.2f, stack %.2f, "
                        + "machine busy %.0f%%", result.eventsPerSecond(), result.requestsPerSecond(),
                result.latency().p50Ms(), result.latency().p99Ms(), result.otherStatuses(), result.transportErrors(),
                use.clientCores(), use.clientLoopShare() * 100, use.ingestCores(), use.stackCores(),
                use.machineBusy() * 100));
        if (options.jfr()) {
            say("  JFR recording of ingest-service: " + jfr + " (written when the recording ends)");
        }
        return new IngestReport.Measured(result, use);
    }

    /**
     * Waits, at most {@code limit}, for the machine to be under 15% busy over ten seconds: it is shared, and a build
     * running meanwhile takes cores from both the reference and the service. Returns how busy it was at the start,
     * which the report states.
     */
    private static double awaitQuiet(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        double busy;
        boolean said = false;
        while (true) {
            var before = CpuMeter.machine();
            Thread.sleep(10_000);
            busy = CpuMeter.machineBusy(before, CpuMeter.machine());
            if (busy < 0.15 || System.nanoTime() >= deadline) {
                break;
            }
            if (!said) {
                say(String.format("the machine is %.0f%% busy with other work; waiting up to %d s for it to be quiet",
                        busy * 100, limit.toSeconds()));
                said = true;
            }
        }
        say(String.format("machine busy with other work before the run: %.0f%%%s", busy * 100,
                busy >= 0.15 ? " (the figures will be lower than on a quiet machine)" : ""));
        return busy;
    }

    /** This JVM's child processes: the one LocalStackProcess.start() adds is the stack (its command line is too
     * long for the operating system to show in full, so it cannot be picked by name). */
    private static Set<ProcessHandle> children() {
        try (var children = ProcessHandle.current().children()) {
            return children.collect(Collectors.toSet());
        }
    }

    private static int partitions(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            return description.partitions().size();
        }
    }

    /** Records in a topic: the sum of its partitions' end offsets (no transactions write to it). */
    private static long endOffsets(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> latest = description.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .collect(Collectors.toMap(Function.identity(), p -> OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values().stream()
                    .mapToLong(r -> r.offset()).sum();
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }
}
