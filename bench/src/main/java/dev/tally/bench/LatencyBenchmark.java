package dev.tally.bench;

import dev.tally.contracts.Topics;
import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.LocalStackProcess;
import dev.tally.testkit.ServiceProcess;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long an event takes from ingest to its window in view-service, at a fixed rate: starts the real stack and
 * ingest-, aggregator- and view-service as packaged, sends clicks through {@code POST /events/batch} at a fixed rate
 * (open loop: a request is sent on time whether or not the earlier ones were answered), and among them, a few times
 * a second, a probe: one click on a page of its own, sent through {@code POST /events}; then it asks view-service for
 * that page's day until the click is counted. A probe's latency runs from just before its request was sent to the
 * first answer that counted it (the polls are 25 ms apart, which bounds the error). Kafka's own EndToEndLatency tool
 * runs on the same broker in the same run, as the floor of one hop through Kafka. Run by {@code bench/latency.sh}.
 */
public final class LatencyBenchmark {
    private static final String KEY = "bench-key";
    private static final Duration POLL = Duration.ofMillis(25);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_LOAD_IN_FLIGHT = 64;

    record Options(int rate, int batch, Duration warmup, Duration window, int probesPerSecond, int partitions,
                   int users, int pages, boolean writeResults) {
        static final String USAGE = """
                usage: bench/latency.sh [flags]
                  --rate N        clicks per second sent to ingest (default 10000)
                  --batch N       clicks per POST /events/batch request (default 100)
                  --warmup S      seconds of load before probes count (default 150: on two cores the three
                                  services' JITs compiled all through the first two minutes, each about
                                  a compiler thread's worth, and p99 was twice as high after 60 s)
                  --seconds S     seconds of load during which probes count (default 60)
                  --probes N      probes per second (default 20: 1,200 a minute; of 300, p99 was the third
                                  slowest probe, and moved by 100-200 ms between runs)
                  --partitions N  partitions of clicks (default 8)
                  --users N       distinct users (default 100000)
                  --pages N       distinct pages of the load (default 1000)
                  --no-results    print the table only, do not write results/latency-<date>.md
                """;

        static Options parse(String[] args) {
            Parsed f = new Parsed();
            BenchOptions.eachFlag(args, java.util.Set.of("--no-results"), (flag, value) -> {
                switch (flag) {
                    case "--no-results" -> f.write = false;
                    case "--rate" -> f.rate = (int) BenchOptions.between(flag, value, 1, 1_000_000);
                    case "--batch" -> f.batch = (int) BenchOptions.between(flag, value, 1, 1000);
                    case "--warmup" -> f.warmup = BenchOptions.between(flag, value, 0, 3600);
                    case "--seconds" -> f.seconds = BenchOptions.between(flag, value, 1, 3600);
                    case "--probes" -> f.probes = (int) BenchOptions.between(flag, value, 1, 100);
                    case "--partitions" -> f.partitions = (int) BenchOptions.between(flag, value, 1, 256);
                    case "--users" -> f.users = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                    case "--pages" -> f.pages = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                    default -> throw new IllegalArgumentException("unknown flag " + flag);
                }
            });
            return new Options(f.rate, f.batch, Duration.ofSeconds(f.warmup), Duration.ofSeconds(f.seconds),
                    f.probes, f.partitions, f.users, f.pages, f.write);
        }

        /** The flags as they are read, with the defaults of a full run. */
        private static final class Parsed {
            int rate = 10_000;
            int batch = 100;
            long warmup = 150;
            long seconds = 60;
            int probes = 20;
            int partitions = 8;
            int users = 100_000;
            int pages = 1_000;
            boolean write = true;
        }

        String flags() {
            return "--rate " + rate + " --batch " + batch + " --warmup " + warmup.toSeconds() + " --seconds "
                    + window.toSeconds() + " --probes " + probesPerSecond + " --partitions " + partitions
                    + " --users " + users + " --pages " + pages;
        }
    }

    /** Kafka's EndToEndLatency: one record at a time, produced with acks=all and consumed, in milliseconds. */
    record Reference(double averageMs, double p50Ms, double p99Ms, double p999Ms, String line) {
    }

    /** What the load and the probes saw. */
    record Measured(Latencies.Summary probes, long probesSent, long probesUnseen, long probeErrors,
                    double p90Ms, long loadEventsAccepted, long loadRequestsFailed, long loadSendsLate,
                    long warmupSendsLate,
                    Duration window, double[] ingestMs, List<ProbeHops.Probe> probeTimes) {
        double eventsPerSecond() {
            return loadEventsAccepted / (window.toNanos() / 1e9);
        }
    }

    private final Options options;
    private final Path home;
    private final Path target;

    private LatencyBenchmark(Options options) {
        this.options = options;
        this.home = BenchOptions.home();
        this.target = home.resolve("bench/target/latency-run");
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println(e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new LatencyBenchmark(options).run());
    }

    private int run() {
        System.setProperty("tally.clicks.partitions", Integer.toString(options.partitions()));
        List<ServiceProcess> services = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> services.forEach(ServiceProcess::close),
                "bench-services-stop"));
        try {
            Files.createDirectories(target);
            AggregatorBenchmark.say("starting the local stack (Kafka, Artemis, PostgreSQL)");
            StackInfo stack = LocalStackProcess.start();
            Reference reference = endToEndLatency(stack.kafkaBootstrap());
            AggregatorBenchmark.say(String.format("Kafka EndToEndLatency: p50 %.1f ms, p99 %.1f ms",
                    reference.p50Ms(), reference.p99Ms()));

            ServiceProcess ingest = start("ingest-service", stack, Map.of("TALLY_INGEST_KEYS", KEY), services);
            ServiceProcess aggregator = start("aggregator-service", stack, Map.of(), services);
            ServiceProcess view = start("view-service", stack, Map.of(), services);

            Map<String, ProcessHandle> processes = new java.util.LinkedHashMap<>();
            processes.put("ingest-service", ingest.handle());
            processes.put("aggregator-service", aggregator.handle());
            processes.put("view-service", view.handle());
            CompletableFuture<String> footprint = footprint(processes);
            Measured measured = measure(ingest, view);
            String stages = stages(PromScrape.read(aggregator.url("/q/metrics")), PromScrape.read(view.url(
                    "/q/metrics")));
            AggregatorBenchmark.say("reading page-stats for the probes' hops");
            String markdown = report(reference, measured, stages + "\n\n" + ProbeHops.describe(
                    stack.kafkaBootstrap(), Topics.PAGE_STATS, measured.probeTimes()),
                    footprint.get(30, TimeUnit.SECONDS));
            System.out.println();
            System.out.println(markdown);
            if (options.writeResults()) {
                Path results = home.resolve("bench/results/latency-" + LocalDate.now(ZoneOffset.UTC) + ".md");
                Files.createDirectories(results.getParent());
                Files.writeString(results, markdown);
                AggregatorBenchmark.say("written to " + home.relativize(results));
            }
            return 0;
        } catch (Exception e) {
            System.err.println("bench: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            services.forEach(ServiceProcess::close);
        }
    }

    /**
     * The services' {@link Footprint} over the measured window: taken when the warm-up ends and when the load does
     * (on a thread of its own: jcmd takes a moment), as a Markdown table.
     */
    private CompletableFuture<String> footprint(Map<String, ProcessHandle> processes) {
        CompletableFuture<String> table = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(options.warmup().toMillis());
                Footprint start = Footprint.take(processes);
                Thread.sleep(options.window().toMillis());
                table.complete(Footprint.take(processes).since(start));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                table.complete("(not measured: interrupted)");
            } catch (RuntimeException e) {
                table.complete("(not measured: " + e + ")");
            }
        }, "bench-footprint");
        thread.setDaemon(true);
        thread.start();
        return table;
    }

    private ServiceProcess start(String name, StackInfo stack, Map<String, String> env,
                                 List<ServiceProcess> services) {
        Path jar = home.resolve(name + "/target/quarkus-app/quarkus-run.jar");
        ServiceProcess service = ServiceProcess.start(name, jar, stack, env, target.resolve("logs"));
        services.add(service);
        AggregatorBenchmark.say(name + " ready at " + service.url("/"));
        return service;
    }

    private Reference endToEndLatency(String bootstrap) throws Exception {
        String topic = "bench-end-to-end-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512M", "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.EndToEndLatency", bootstrap, topic, "10000", "all", "200");
        AggregatorBenchmark.say("EndToEndLatency: " + String.join(" ", command.subList(4, command.size())));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Double average = null;
        Matcher percentiles = null;
        Pattern averageLine = Pattern.compile("Avg latency: ([0-9.]+) ms");
        Pattern percentileLine = Pattern.compile("50th = ([0-9.]+), 99th = ([0-9.]+), 99\\.9th = ([0-9.]+)");
        String line;
        StringBuilder all = new StringBuilder();
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(target.resolve("end-to-end-latency.log")));
             BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                     StandardCharsets.UTF_8))) {
            while ((line = in.readLine()) != null) {
                log.println(line);
                Matcher a = averageLine.matcher(line);
                if (a.find()) {
                    average = Double.parseDouble(a.group(1));
                    all.append(line.trim()).append("; ");
                }
                Matcher p = percentileLine.matcher(line);
                if (p.find()) {
                    percentiles = p;
                    all.append(line.trim());
                }
            }
        }
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0 || average == null
                || percentiles == null) {
            throw new IOException("EndToEndLatency did not report; see " + target.resolve("end-to-end-latency.log"));
        }
        return new Reference(average, Double.parseDouble(percentiles.group(1)),
                Double.parseDouble(percentiles.group(2)), Double.parseDouble(percentiles.group(3)), all.toString());
    }

    /** The load and the probes, on one event loop: no locks needed for the counters. */
    private Measured measure(ServiceProcess ingest, ServiceProcess view) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient ingestClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true).setDefaultHost("127.0.0.1").setDefaultPort(ingest.url("/").getPort()),
                    new PoolOptions().setHttp1MaxSize(MAX_LOAD_IN_FLIGHT + 32));
            HttpClient viewClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true).setDefaultHost("127.0.0.1").setDefaultPort(view.url("/").getPort()),
                    new PoolOptions().setHttp1MaxSize(64));
            Run run = new Run(vertx, ingestClient, viewClient);
            CompletableFuture<Measured> done = new CompletableFuture<>();
            vertx.getOrCreateContext().runOnContext(v -> run.start(done));
            return done.get(options.warmup().plus(options.window()).plus(PROBE_TIMEOUT).toSeconds() + 60,
                    TimeUnit.SECONDS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private final class Run {
        private final Vertx vertx;
        private final HttpClient ingest;
        private final HttpClient view;
        private final Random random = new Random(42);
        private final String runId = UUID.randomUUID().toString().substring(0, 8);
        private final Latencies latencies = new Latencies();
        /** Of each probe that ingest accepted, the time until it did (its 202). */
        private final Latencies ingested = new Latencies();
        /** The measured probes that were seen, for {@link ProbeHops}. */
        private final List<ProbeHops.Probe> probeTimes = new ArrayList<>();
        /**
         * Every probe seen: when it was sent (UTC), its page, whether it was measured (not of the warm-up), ms until
         * ingest accepted it, ms until it was seen.
         */
        private final StringBuilder probeLines = new StringBuilder("sent,page,measured,ingested_ms,seen_ms\n");
        private long loadStarted;
        private long measureStart;
        private long measureEnd;
        private int loadInFlight;
        private int probesOut;
        private long probeSequence;
        private long probesSent;
        private long probesUnseen;
        private long probeErrors;
        private long accepted;
        private long failed;
        /** Sends skipped during the measured window, and during the warm-up (the JIT still compiling). */
        private long late;
        private long lateInWarmup;
        private long sequence;
        private boolean loadOver;
        private CompletableFuture<Measured> done;

        Run(Vertx vertx, HttpClient ingest, HttpClient view) {
            this.vertx = vertx;
            this.ingest = ingest;
            this.view = view;
        }

        void start(CompletableFuture<Measured> done) {
            this.done = done;
            loadStarted = System.nanoTime();
            measureStart = loadStarted + options.warmup().toNanos();
            measureEnd = measureStart + options.window().toNanos();
            long periodMs = Math.max(1, 1000L * options.batch() / options.rate());
            AggregatorBenchmark.say(String.format("load: %,d clicks/s as %d-click batches every %d ms; %d probes/s; "
                            + "%d s warm-up, then %d s measured", options.rate(), options.batch(), periodMs,
                    options.probesPerSecond(), options.warmup().toSeconds(), options.window().toSeconds()));
            vertx.setPeriodic(periodMs, id -> {
                if (System.nanoTime() >= measureEnd) {
                    vertx.cancelTimer(id);
                    loadOver = true;
                    maybeDone();
                    return;
                }
                sendLoad();
            });
            vertx.setPeriodic(1000L / options.probesPerSecond(), id -> {
                if (System.nanoTime() >= measureEnd) {
                    vertx.cancelTimer(id);
                    return;
                }
                // during the warm-up too, uncounted: the single-click endpoint and the query warm up with the rest
                probe(System.nanoTime() >= measureStart);
            });
            vertx.setPeriodic(10_000, id -> {
                if (loadOver) {
                    vertx.cancelTimer(id);
                    return;
                }
                AggregatorBenchmark.say(String.format("  %,d clicks accepted, %d probes measured, %d requests late "
                        + "(%d in the warm-up), %d failed", accepted, latencies.count(), late, lateInWarmup, failed));
            });
        }

        private void sendLoad() {
            if (loadInFlight >= MAX_LOAD_IN_FLIGHT) {
                // the service is behind: an open loop would queue; this one counts it
                if (System.nanoTime() >= measureStart) {
                    late++;
                } else {
                    lateInWarmup++;
                }
                return;
            }
            StringBuilder body = new StringBuilder(options.batch() * 200).append('[');
            String now = Instant.now().toString();
            for (int i = 0; i < options.batch(); i++) {
                if (i > 0) {
                    body.append(',');
                }
                body.append(click("load-" + runId + "-" + sequence++, "user-" + random.nextInt(options.users()),
                        "page-" + random.nextInt(options.pages()), now));
            }
            body.append(']');
            loadInFlight++;
            send("/events/batch", body.toString(), status -> {
                loadInFlight--;
                if (status == 200) {
                    if (System.nanoTime() >= measureStart && System.nanoTime() < measureEnd) {
                        accepted += options.batch();
                    }
                } else {
                    failed++;
                }
            });
        }

        /** A probe sent in the measured window is {@code counted}; one of the warm-up only warms up. */
        private void probe(boolean counted) {
            long sequence = probeSequence++;
            String page = "probe-" + runId + "-" + sequence;
            String date = LocalDate.now(ZoneOffset.UTC).toString();
            probesSent += counted ? 1 : 0;
            probesOut++;
            long sent = System.nanoTime();
            long sentAt = System.currentTimeMillis();
            send("/events", click("probe-" + runId + "-" + sequence, "probe-user-" + random.nextInt(1000), page,
                    Instant.now().toString()), status -> {
                if (status != 202) {
                    probeErrors += counted ? 1 : 0;
                    probeOver();
                    return;
                }
                long accepted = System.nanoTime() - sent;
                if (counted) {
                    ingested.add(accepted);
                }
                poll(page, date, sent, sentAt, accepted, counted);
            });
        }

        private void poll(String page, String date, long sent, long sentAt, long accepted, boolean counted) {
            view.request(new RequestOptions().setMethod(HttpMethod.GET)
                            .setURI("/api/pages/" + page + "/summary?from=" + date + "&to=" + date))
                    .compose(request -> request.send().compose(response -> response.body()))
                    .onComplete(result -> {
                        long now = System.nanoTime();
                        if (result.succeeded() && result.result().toString().contains("\"total_views\":1")) {
                            if (counted) {
                                latencies.add(now - sent);
                                probeTimes.add(new ProbeHops.Probe(page, sentAt, sentAt + accepted / 1_000_000,
                                        sentAt + (now - sent) / 1_000_000));
                            }
                            probeLines.append(Instant.ofEpochMilli(sentAt)).append(',').append(page).append(',')
                                    .append(counted)
                                    .append(',').append(accepted / 1_000_000).append(',')
                                    .append((now - sent) / 1_000_000).append('\n');
                            probeOver();
                        } else if (now - sent > PROBE_TIMEOUT.toNanos()) {
                            probesUnseen += counted ? 1 : 0;
                            probeOver();
                        } else {
                            vertx.setTimer(POLL.toMillis(), id -> poll(page, date, sent, sentAt, accepted, counted));
                        }
                    });
        }

        private void probeOver() {
            probesOut--;
            maybeDone();
        }

        private void maybeDone() {
            if (loadOver && probesOut == 0 && !done.isDone()) {
                try {
                    Files.writeString(target.resolve("probes.csv"), probeLines);
                } catch (java.io.IOException e) {
                    AggregatorBenchmark.say("probes.csv not written: " + e);
                }
                done.complete(new Measured(latencies.summary(), probesSent, probesUnseen, probeErrors,
                        latencies.percentileMs(0.9), accepted, failed, late, lateInWarmup, options.window(),
                        new double[] {ingested.percentileMs(0.5), ingested.percentileMs(0.9),
                                ingested.percentileMs(0.99)}, probeTimes));
            }
        }

        private void send(String path, String body, java.util.function.IntConsumer answered) {
            ingest.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
                            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                            .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + KEY))
                    .compose(request -> request.send(Buffer.buffer(body))
                            .compose(response -> response.body().map(b -> response.statusCode())))
                    .onComplete(result -> answered.accept(result.succeeded() ? result.result() : -1));
        }
    }

    private static String click(String id, String user, String page, String time) {
        return "{\"event_id\":\"" + id + "\",\"user_id\":\"" + user + "\",\"page_id\":\"" + page
                + "\",\"type\":\"view\",\"event_time\":\"" + time + "\"}";
    }

    /**
     * Where the time went, from the services' own metrics at the end of the run (Micrometer's percentiles, over its
     * recent, decaying window): each stage's batch commit, and view-service's delay from a result's {@code
     * emitted_at} (stage 2 made it, before its commit and publish) to its write.
     */
    static String stages(PromScrape aggregator, PromScrape view) {
        StringBuilder text = new StringBuilder("On the way, from the services' metrics at the end of the run "
                + "(Micrometer's percentiles over its recent window):");
        for (String stage : List.of("stage1", "stage2")) {
            text.append(String.format(" %s's batches p50 %.0f ms, p99 %.0f ms;", stage,
                    quantileMs(aggregator, AggregatorBenchmark.COMMIT, stage, "0.5"),
                    quantileMs(aggregator, AggregatorBenchmark.COMMIT, stage, "0.99")));
        }
        text.append(String.format(" from stage 2's result to view-service's write p50 %.0f ms, p90 %.0f ms, "
                        + "p99 %.0f ms, of which view-service's statements per write p50 %.0f ms, p99 %.0f ms.",
                quantileMs(view, "tally_view_results_delay_seconds", null, "0.5"),
                quantileMs(view, "tally_view_results_delay_seconds", null, "0.9"),
                quantileMs(view, "tally_view_results_delay_seconds", null, "0.99"),
                quantileMs(view, "tally_view_results_write_seconds", null, "0.5"),
                quantileMs(view, "tally_view_results_write_seconds", null, "0.99")));
        return text.toString();
    }

    private static double quantileMs(PromScrape scrape, String name, String stage, String quantile) {
        return scrape.all(name).stream()
                .filter(s -> quantile.equals(s.labels().get("quantile"))
                        && (stage == null || stage.equals(s.labels().get("stage"))))
                .mapToDouble(s -> s.value() * 1000).max().orElse(Double.NaN);
    }

    private String report(Reference reference, Measured measured, String stages, String footprint) {
        Latencies.Summary probes = measured.probes();
        String command = "bench/latency.sh " + options.flags();
        return String.format("""
                        # Latency benchmark, %s

                        One run, one machine (2 cores), the local stack (one KRaft broker, Artemis, PostgreSQL) and \
                        ingest-, aggregator- and view-service as packaged (`quarkus-run.jar`, heaps as `./tally` gives them, default \
                        windows), with the load generator on the same cores. Load: %,d clicks/s through \
                        `POST /events/batch` (%d clicks a request, open loop), event time = now, %,d users, %,d \
                        pages, `clicks` with %d partitions. Among it, %d probes a second: one click on a page of its \
                        own through `POST /events`, then `GET /api/pages/{page}/summary` on view-service every %d ms \
                        until the click is counted. Latency = from just before the probe's request to the first \
                        answer that counted it: HTTP ingest, `clicks`, stage 1 and its PostgreSQL commit, \
                        `page-partials`, stage 2 and its commit, `page-stats`, view-service's write, and the query. \
                        Probes run during the warm-up too, uncounted, so that the single-click endpoint and the \
                        query are as warm as the rest; every probe is in `bench/target/latency-run/probes.csv`.

                        | measure | Tally: ingest → window in view-service | Kafka EndToEndLatency (one hop: produce acks=all → consume) | target |
                        |---|---:|---:|---|
                        | p50 ms | %.1f | %.1f | |
                        | p90 ms | %.1f | — | |
                        | p99 ms | %.1f | %.1f | < 500 ms: **%s** |
                        | max ms | %.1f | — | |
                        | samples | %,d probes (%d never seen within %d s, %d not accepted) | 10,000 records | |

                        Load during the measured %d s, after %d s of the same load as a warm-up: %,d clicks accepted (%,.0f clicks/s), %d requests failed, \
                        %d sends skipped because %d requests were already in flight (the service was behind; %d more in the warm-up).

                        Of the probes' latency, the part until ingest accepted the click (its `202`): p50 %.1f ms, \
                        p90 %.1f ms, p99 %.1f ms. %s

                        Who used the machine during the measured window (CPU time from the operating system; JIT time \
                        from each JVM's `java.ci.totalTime`):

                        %s
                        EndToEndLatency's result: `%s`

                        Reproduce (from the checkout, a JDK on the PATH is all it needs):

                        ```
                        %s
                        ```
                        """,
                ZonedDateTime.now(ZoneOffset.UTC).withNano(0), options.rate(), options.batch(), options.users(),
                options.pages(), options.partitions(), options.probesPerSecond(), POLL.toMillis(),
                probes.p50Ms(), reference.p50Ms(), measured.p90Ms(), probes.p99Ms(), reference.p99Ms(),
                probes.count() > 0 && probes.p99Ms() < 500 && measured.probesUnseen() == 0 ? "met" : "missed",
                probes.maxMs(), probes.count(), measured.probesUnseen(), PROBE_TIMEOUT.toSeconds(),
                measured.probeErrors(), options.window().toSeconds(), options.warmup().toSeconds(),
                measured.loadEventsAccepted(),
                measured.eventsPerSecond(), measured.loadRequestsFailed(), measured.loadSendsLate(),
                MAX_LOAD_IN_FLIGHT, measured.warmupSendsLate(), measured.ingestMs()[0], measured.ingestMs()[1], measured.ingestMs()[2],
                stages, footprint, reference.line(), command);
    }
}
