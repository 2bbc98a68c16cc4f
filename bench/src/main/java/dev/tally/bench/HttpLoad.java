package dev.tally.bench;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A closed-loop HTTP load: a fixed number of requests in flight, each answered request followed at once by the next,
 * for a warm-up and then a measured window. It runs on one Vert.x event loop, so a request costs the client little
 * CPU and the counters need no locks; the CPU that loop used is part of the result, to show whether the client could
 * have gone faster than the service.
 */
final class HttpLoad {

    /** What is sent: a JSON array of events to /events/batch, or one event to /events. */
    enum Kind {
        BATCH("/events/batch", 200),
        SINGLE("/events", 202);

        final String path;
        final int success;

        Kind(String path, int success) {
            this.path = path;
            this.success = success;
        }
    }

    /** What a measured window saw. Events count only from successful answers that accepted every event sent. */
    record Result(Kind kind, int concurrency, int eventsPerRequest, Duration window, long okRequests, long okEvents,
                  long incompleteAnswers, Map<Integer, Long> otherStatuses, long transportErrors,
                  Latencies.Summary latency, Duration clientLoopCpu, long acceptedWholeRun) {

        double eventsPerSecond() {
            return okEvents / seconds();
        }

        double requestsPerSecond() {
            return okRequests / seconds();
        }

        long otherAnswers() {
            return otherStatuses.values().stream().mapToLong(Long::longValue).sum();
        }

        long status(int code) {
            return otherStatuses.getOrDefault(code, 0L);
        }

        private double seconds() {
            return window.toNanos() / 1e9;
        }
    }

    private final Vertx vertx;
    private final int port;
    private final EventFactory events;

    HttpLoad(Vertx vertx, int port, EventFactory events) {
        this.vertx = vertx;
        this.port = port;
        this.events = events;
    }

    /** Told when the measured window opens and closes, on a worker thread so as not to delay the event loop. */
    interface Window {
        void opened();

        void closed();
    }

    /** Runs one load and waits for it. */
    Result run(Kind kind, int concurrency, int eventsPerRequest, Duration warmup, Duration window,
               Window listener) throws Exception {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(false)
                .setTcpNoDelay(true).setConnectTimeout(5_000).setIdleTimeout(60), new PoolOptions()
                .setHttp1MaxSize(concurrency));
        try {
            Context context = vertx.getOrCreateContext();
            Promise<Result> done = Promise.promise();
            Run run = new Run(client, kind, concurrency, eventsPerRequest, warmup, window, listener, done);
            context.runOnContext(v -> run.start());
            long limit = warmup.plus(window).toSeconds() + 90;
            return done.future().toCompletionStage().toCompletableFuture().get(limit, TimeUnit.SECONDS);
        } finally {
            client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** One load, confined to the event loop it started on. */
    private final class Run {
        private final HttpClient client;
        private final Kind kind;
        private final int concurrency;
        private final int eventsPerRequest;
        private final Duration warmup;
        private final Duration window;
        private final Window listener;
        private final Promise<Result> done;
        private final RequestOptions request;
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final Latencies latencies = new Latencies();
        private final Map<Integer, Long> otherStatuses = new TreeMap<>();

        private long measureStart;
        private long measureEnd;
        private long loopCpuAtStart;
        private long loopCpuAtEnd;
        private boolean stopping;
        private boolean finished;
        private int inFlight;
        private long okRequests;
        private long okEvents;
        private long incomplete;
        private long transportErrors;
        private long acceptedWholeRun;

        Run(HttpClient client, Kind kind, int concurrency, int eventsPerRequest, Duration warmup, Duration window,
            Window listener, Promise<Result> done) {
            this.client = client;
            this.kind = kind;
            this.concurrency = concurrency;
            this.eventsPerRequest = kind == Kind.SINGLE ? 1 : eventsPerRequest;
            this.warmup = warmup;
            this.window = window;
            this.listener = listener;
            this.done = done;
            this.request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                    .setURI(kind.path).setIdleTimeout(30_000)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + IngestServiceProcess.KEY);
        }

        void start() {
            long now = System.nanoTime();
            measureStart = now + warmup.toNanos();
            measureEnd = measureStart + window.toNanos();
            vertx.setTimer(Math.max(1, warmup.toMillis()), id -> {
                loopCpuAtStart = threads.getCurrentThreadCpuTime();
                vertx.executeBlocking(() -> {
                    listener.opened();
                    return null;
                }, false);
            });
            vertx.setTimer(Math.max(1, warmup.plus(window).toMillis()), id -> {
                loopCpuAtEnd = threads.getCurrentThreadCpuTime();
                stopping = true;
                vertx.executeBlocking(() -> {
                    listener.closed();
                    return null;
                }, false);
                if (inFlight == 0) {
                    finish();
                }
                // answers still missing after this are not waited for
                vertx.setTimer(30_000, late -> finish());
            });
            for (int i = 0; i < concurrency; i++) {
                send();
            }
        }

        private void send() {
            if (stopping) {
                return;
            }
            inFlight++;
            Buffer body = kind == Kind.BATCH ? events.batch(eventsPerRequest) : events.single();
            long sent = System.nanoTime();
            client.request(request)
                    .compose(req -> req.send(body))
                    .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
                    .onComplete(answer -> answered(answer, sent));
        }

        private void answered(AsyncResult<Answer> answer, long sent) {
            inFlight--;
            long now = System.nanoTime();
            boolean measured = now >= measureStart && now < measureEnd;
            if (answer.failed()) {
                if (measured) {
                    transportErrors++;
                }
            } else {
                Answer a = answer.result();
                if (a.status == kind.success) {
                    long accepted = kind == Kind.BATCH ? accepted(a.body) : 1;
                    acceptedWholeRun += Math.max(0, accepted);
                    if (measured) {
                        if (accepted == eventsPerRequest) {
                            okRequests++;
                            okEvents += accepted;
                            latencies.add(now - sent);
                        } else {
                            incomplete++;
                        }
                    }
                } else if (measured) {
                    otherStatuses.merge(a.status, 1L, Long::sum);
                }
            }
            if (stopping) {
                if (inFlight == 0) {
                    finish();
                }
            } else if (answer.failed()) {
                vertx.setTimer(10, id -> send()); // a refused connection must not become a busy loop
            } else {
                send();
            }
        }

        private void finish() {
            if (finished) {
                return;
            }
            finished = true;
            done.complete(new Result(kind, concurrency, eventsPerRequest, window, okRequests, okEvents, incomplete,
                    Map.copyOf(otherStatuses), transportErrors, latencies.summary(),
                    Duration.ofNanos(loopCpuAtEnd - loopCpuAtStart), acceptedWholeRun));
        }
    }

    private record Answer(int status, Buffer body) {
    }

    /** The {@code "accepted":N} of a batch answer; it comes first, so only the start of the body is read. */
    static long accepted(Buffer body) {
        String head = body.getString(0, Math.min(body.length(), 96));
        int at = head.indexOf("\"accepted\":");
        if (at < 0) {
            head = body.toString();
            at = head.indexOf("\"accepted\":");
            if (at < 0) {
                return -1;
            }
        }
        int i = at + "\"accepted\":".length();
        while (i < head.length() && head.charAt(i) == ' ') {
            i++;
        }
        long n = 0;
        int digits = 0;
        while (i < head.length() && Character.isDigit(head.charAt(i))) {
            n = n * 10 + (head.charAt(i++) - '0');
            digits++;
        }
        return digits == 0 ? -1 : n;
    }
}
