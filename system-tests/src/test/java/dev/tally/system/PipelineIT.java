package dev.tally.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.contracts.Topics;
import dev.tally.system.LogRecomputation.WindowKey;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.WebhookReceiver;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.tally.system.RunningTally.AGGREGATOR;
import static dev.tally.system.RunningTally.INGEST;
import static dev.tally.system.RunningTally.VIEW;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole pipeline as a user meets it: the real brokers and the four packaged services, each its own process,
 * started once for the class. Clicks go in over HTTP and must come out of the view exactly; an alert must reach a
 * real webhook server once; a {@code kill -9} of the aggregator while clicks stream in must lose nothing and count
 * nothing twice; and after kills at random moments while clicks stream in, every final window that the aggregator
 * published must equal a recomputation from the {@code clicks} log. Each test uses page ids of its own, and event
 * times that only move forward, so that the tests do not see each other's clicks and no click is late by accident.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PipelineIT {
    /** Tells this run's ids apart from any other's, in logs and topics. */
    private static final String RUN = Long.toString(System.currentTimeMillis(), 36);
    private static final long SEED = System.nanoTime();
    private static final String RULE_PAGE = "alerted-" + RUN;
    private static final int RULE_VIEWS_ABOVE = 25;
    private static final int CLICKS_PARTITIONS = 4;

    /** What the earlier tests checked, checked again after the replay rebuilt every view from the log. */
    private static final List<String> EXACT_PAGES = new ArrayList<>();
    private static final ExpectedCounts EXACT = new ExpectedCounts();
    private static final List<String> STORM_PAGES = new ArrayList<>();
    private static LogRecomputation storm;

    private static WebhookReceiver webhook;
    private static RunningTally tally;
    private static TallyClient client;

    @BeforeAll
    static void startTally() {
        Path home = Path.of(System.getProperty("tally.home", "..")).toAbsolutePath().normalize();
        webhook = new WebhookReceiver();
        Instant started = Instant.now();
        tally = RunningTally.start(home, home.resolve("system-tests/target/pipeline-it"), Map.of(
                        "TALLY_CLICKS_PARTITIONS", Integer.toString(CLICKS_PARTITIONS),
                        "TALLY_ALERTING_RULE_PAGE_ID", RULE_PAGE,
                        "TALLY_ALERTING_RULE_VIEWS_ABOVE", Integer.toString(RULE_VIEWS_ABOVE),
                        "TALLY_ALERTING_WEBHOOK_URL", webhook.url()),
                Duration.ofMinutes(5));
        client = new TallyClient(tally.url(INGEST), tally.url(VIEW));
        log("Tally is up in " + RunningTally.secondsSince(started) + " (run " + RUN + ", seed " + SEED + ")");
    }

    @AfterAll
    static void stopTally() {
        if (tally != null) {
            tally.close();
        }
        if (webhook != null) {
            webhook.close();
        }
    }

    @Test
    @Order(1)
    void clicksSentOverHttpComeBackExact() throws Exception {
        Random random = new Random(SEED);
        List<String> pages = List.of("exact-a-" + RUN, "exact-b-" + RUN, "exact-c-" + RUN, "exact-d-" + RUN);
        // two UTC days, all in the past: yesterday, and today up to a little while ago
        Instant reference = Instant.now().minusSeconds(120);
        LocalDate today = LocalDate.ofInstant(reference, ZoneOffset.UTC);
        LocalDate yesterday = today.minusDays(1);
        Instant startOfToday = today.atStartOfDay(ZoneOffset.UTC).toInstant();
        long millisToday = Math.max(1, Duration.between(startOfToday, reference).toMillis());
        List<Click> clicks = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Instant time = random.nextInt(5) < 2
                    ? startOfToday.minus(Duration.ofDays(1)).plusMillis(random.nextInt(86_400_000))
                    : startOfToday.plusMillis(random.nextLong(millisToday));
            clicks.add(new Click("exact-" + RUN + "-" + i, "user-" + random.nextInt(50),
                    pages.get(random.nextInt(pages.size())), time));
        }
        // in event-time order, as a live source would send them
        clicks.sort(Comparator.comparing(Click::eventTime));

        ExpectedCounts expected = new ExpectedCounts();
        for (Click click : clicks) {
            TallyClient.Answer answer = client.send(click);
            assertEquals(202, answer.status(), () -> "POST /events of " + click + " answered " + answer.body());
            expected.add(click);
        }
        assertEquals(Set.of(yesterday, today), pages.stream().flatMap(p -> expected.of(p).keySet().stream())
                .collect(Collectors.toSet()), "the test itself should spread the clicks over two days");

        awaitSummaries(pages, yesterday, today, expected, Duration.ofSeconds(90));
        EXACT_PAGES.addAll(pages);
        clicks.forEach(EXACT::add);
    }

    @Test
    @Order(2)
    void anAlertReachesTheWebhookOncePerWindow() throws Exception {
        ExpectedCounts expected = new ExpectedCounts();
        int views = RULE_VIEWS_ABOVE + 5;
        for (int i = 0; i < views; i++) {
            sendAcknowledged(new Click("alert-" + RUN + "-" + i, "user-" + (i % 7), RULE_PAGE, Instant.now()),
                    expected);
        }

        Delivery first;
        try {
            first = await("a firing alert for " + RULE_PAGE + " at " + webhook.url())
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(PipelineIT::firingDeliveries, deliveries -> !deliveries.isEmpty()).get(0);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\nthe webhook received: " + webhook.requests() + "\n"
                    + tally.diagnostics(), e);
        }
        JsonNode alert = first.body();
        assertEquals(RULE_PAGE, alert.path("page_id").asText(), alert::toString);
        assertEquals("firing", alert.path("state").asText(), alert::toString);
        assertFalse(alert.path("fingerprint").asText().isBlank(), () -> "no fingerprint: " + alert);
        assertFalse(alert.path("rule_id").asText().isBlank(), () -> "no rule_id: " + alert);
        assertTrue(alert.path("window").isObject(), () -> "no window: " + alert);
        assertEquals(RULE_VIEWS_ABOVE, alert.path("threshold").asDouble(), () -> "threshold: " + alert);
        assertTrue(alert.path("value").asDouble() > RULE_VIEWS_ABOVE, () -> "value not above threshold: " + alert);
        assertTrue(first.webhookId().isPresent(), () -> "no webhook-id header: " + first);

        // more views in the same window: the alert is already firing, so no second one may come
        for (int i = views; i < views + 10; i++) {
            sendAcknowledged(new Click("alert-" + RUN + "-" + i, "user-" + (i % 7), RULE_PAGE, Instant.now()),
                    expected);
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        awaitSummaries(List.of(RULE_PAGE), today.minusDays(1), today.plusDays(1), expected, Duration.ofSeconds(60));
        try {
            await("still one alert for " + RULE_PAGE)
                    .during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                    .until(() -> distinct(firingDeliveries()).size() == 1);
        } catch (ConditionTimeoutException e) {
            fail("one window crossed the threshold once, but the webhook got these alerts for it (a retry repeats "
                    + "its webhook-id; a new id is a second alert): " + firingDeliveries());
        }
        for (Delivery delivery : firingDeliveries()) {
            assertEquals(first.webhookId(), delivery.webhookId(), () -> "a second alert: " + firingDeliveries());
            assertEquals(alert.path("fingerprint"), delivery.body().path("fingerprint"),
                    () -> "a second fingerprint: " + firingDeliveries());
            assertEquals("POST", delivery.method(), delivery::toString);
        }
    }

    @Test
    @Order(3)
    void killingTheAggregatorMidStreamLosesNothingAndCountsNothingTwice() throws Exception {
        int total = 2_000;
        int firstKillAt = 400;
        int holdAt = 1_200;
        int secondKillAt = 1_500;
        List<String> pages = IntStream.range(0, 5).mapToObj(i -> "crash-" + i + "-" + RUN).toList();
        ExpectedCounts expected = new ExpectedCounts();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger retried = new AtomicInteger();
        CountDownLatch consumingAgain = new CountDownLatch(1);
        Random random = new Random(SEED + 3);
        LocalDate from = LocalDate.now(ZoneOffset.UTC).minusDays(1);

        ExecutorService executor = newSender();
        try {
            // The sender holds once, until the restarted aggregator consumes again, so that the second kill too
            // hits an aggregator that is busy with clicks that are still coming in.
            Future<Void> sending = executor.submit((Callable<Void>) () -> {
                for (int i = 0; i < total; i++) {
                    if (i == holdAt && !consumingAgain.await(120, TimeUnit.SECONDS)) {
                        throw new AssertionError("held " + holdAt + " clicks for 120 s: no restart");
                    }
                    Click click = new Click("crash-" + RUN + "-" + i, "user-" + random.nextInt(200),
                            pages.get(random.nextInt(pages.size())), Instant.now());
                    retried.addAndGet(sendUntilAcknowledged(click));
                    expected.add(click);
                    sent.incrementAndGet();
                }
                return null;
            });

            awaitSent(sending, sent, firstKillAt);
            killAggregator(sent);
            consumingAgain.countDown();

            awaitSent(sending, sent, secondKillAt);
            killAggregator(sent);

            awaitSender(sending, sent, Duration.ofSeconds(120));
        } finally {
            consumingAgain.countDown();
            executor.shutdownNow();
        }
        assertEquals(total, expected.acknowledged());
        log(total + " clicks acknowledged (" + retried.get() + " retries after 503); restarts seen: "
                + tally.outputLinesContaining(AGGREGATOR + " (pid"));

        awaitSummaries(pages, from, LocalDate.now(ZoneOffset.UTC).plusDays(1), expected, Duration.ofSeconds(120));
    }

    @Test
    @Order(4)
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void afterKillsAtRandomMomentsEveryFinalWindowEqualsARecomputationFromTheLog() throws Exception {
        int total = 3_000;
        int kills = 5;
        Duration eventTimeSpan = Duration.ofMinutes(8);
        Duration realTimeSpan = Duration.ofSeconds(75);
        int maxDisorderMillis = 3_000; // less than the allowed out-of-orderness: no click is late, none is dropped
        List<String> pages = IntStream.range(0, 4).mapToObj(i -> "storm-" + i + "-" + RUN).toList();
        List<String> users = IntStream.range(0, 60).mapToObj(i -> "storm-user-" + i).toList();
        // After every event time of the earlier tests (their partitions' watermarks are there already), and far
        // enough inside the hour that ingest accepts ahead of its clock for the closing clicks too.
        Instant base = Instant.now().plus(Duration.ofMinutes(2)).truncatedTo(ChronoUnit.MINUTES);
        long stepMillis = eventTimeSpan.toMillis() / total;
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger retried = new AtomicInteger();
        AtomicInteger killed = new AtomicInteger();
        Random clicks = new Random(SEED + 4);
        Random moments = new Random(SEED + 5);
        Instant started = Instant.now();

        ExecutorService executor = newSender();
        try {
            // Paced over realTimeSpan, in event-time order up to the disorder. Should the kills fall behind, the
            // last tenth trickles, so that every kill still hits an aggregator that clicks are streaming into.
            Future<Void> sending = executor.submit((Callable<Void>) () -> {
                long start = System.nanoTime();
                long last = start;
                for (int i = 0; i < total; i++) {
                    long due = start + realTimeSpan.toNanos() / total * i;
                    if (i >= total - total / 10 && killed.get() < kills) {
                        due = Math.max(due, last + TimeUnit.MILLISECONDS.toNanos(500));
                    }
                    TimeUnit.NANOSECONDS.sleep(due - System.nanoTime());
                    Click click = new Click("storm-" + RUN + "-" + i, users.get(clicks.nextInt(users.size())),
                            pages.get(clicks.nextInt(pages.size())),
                            base.plusMillis(stepMillis * i - clicks.nextInt(maxDisorderMillis + 1)));
                    retried.addAndGet(sendUntilAcknowledged(click));
                    acknowledged.add(click.eventId());
                    sent.incrementAndGet();
                    last = System.nanoTime();
                }
                return null;
            });

            for (int kill = 1; kill <= kills; kill++) {
                pauseWhileSending(sending, Duration.ofMillis(500 + moments.nextInt(4_500)));
                if (sending.isDone()) {
                    sending.get(); // throws what stopped the sender
                    fail("the clicks stopped streaming after " + (kill - 1) + " of " + kills + " kills ("
                            + sent.get() + " sent)\n" + tally.diagnostics());
                }
                killAggregator(sent);
                killed.set(kill);
            }
            awaitSender(sending, sent, Duration.ofSeconds(180));
        } finally {
            killed.set(kills);
            executor.shutdownNow();
        }
        log(total + " clicks acknowledged in " + RunningTally.secondsSince(started) + " (" + retried.get()
                + " retries after 503), with " + kills + " kills of " + AGGREGATOR);

        // One click per user far ahead in event time, on a page of its own: every partition of clicks that has one
        // of these users moves its watermark past every window above plus its grace. A partition without any
        // would stop holding the windows back after the idle timeout (30 s) instead.
        String closingPage = "storm-close-" + RUN;
        Set<String> closing = new TreeSet<>();
        for (String user : users) {
            Click click = new Click("storm-close-" + RUN + "-" + user, user, closingPage,
                    base.plus(Duration.ofMinutes(40)));
            retried.addAndGet(sendUntilAcknowledged(click));
            closing.add(click.eventId());
        }

        List<ConsumerRecord<String, String>> log = readClicks(
                Stream.concat(acknowledged.stream(), closing.stream()).collect(Collectors.toSet()));
        LogRecomputation expected = LogRecomputation.of(log, Set.copyOf(pages));
        Set<Integer> closed = log.stream().filter(r -> r.value().contains("\"" + closingPage + "\""))
                .map(ConsumerRecord::partition).collect(Collectors.toCollection(TreeSet::new));
        log("the clicks log holds " + log.size() + " records; recomputed " + expected.count("PT1M")
                + " 1-minute and " + expected.count("PT5M") + " 5-minute windows of " + pages.size() + " pages from "
                + expected.eventIds().size() + " clicks (" + expected.duplicates() + " duplicates, "
                + expected.unreadable() + " unreadable records); closing clicks reached partitions " + closed
                + " of " + CLICKS_PARTITIONS);
        assertSameIds(acknowledged, expected.eventIds());
        assertTrue(expected.late().isEmpty(), () -> "the test sends its clicks less out of order than the engine "
                + "allows, yet by the engine's rules these " + expected.late().size() + " are late: "
                + expected.late().stream().limit(20).toList());

        awaitFinalWindowsEqual(expected, pages, Topics.PAGE_STATS, "base " + base + ", seed " + SEED);
        STORM_PAGES.addAll(pages);
        storm = expected;
        LocalDate first = LocalDate.ofInstant(base, ZoneOffset.UTC);
        awaitSummaries(pages, first.minusDays(1), first.plusDays(2), expected.days(), Duration.ofSeconds(60));
    }

    /**
     * A Kappa replay while clicks keep arriving: {@code POST /admin/replays} builds view version 2 from offset 0
     * beside the serving version 1; queries answer all along; once version 2 has caught up, readers switch to it,
     * and version 1 is dropped. Afterwards every view must still equal the log: the clicks that arrived during the
     * replay (no gap, no double count across the switch), the first test's pages, and every final window of the
     * kill -9 test, as version 2 recomputed them from the log on its own topic.
     */
    @Test
    @Order(5)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aReplayWhileClicksArriveSwitchesReadersWithoutAGapOrADoubleCount() throws Exception {
        int total = 1_500;
        Duration realTimeSpan = Duration.ofSeconds(30);
        List<String> pages = IntStream.range(0, 3).mapToObj(i -> "replay-" + i + "-" + RUN).toList();
        ExpectedCounts expected = new ExpectedCounts();
        AtomicInteger sent = new AtomicInteger();
        Random random = new Random(SEED + 6);
        URI aggregator = tally.url(AGGREGATOR);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> failedQueries = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger queries = new AtomicInteger();
        AtomicInteger queriesWhileReplaying = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean replaying = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);

        ExecutorService executor = Executors.newFixedThreadPool(2, task -> {
            Thread thread = new Thread(task, "replay-test");
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<Void> sending = executor.submit((Callable<Void>) () -> {
                long start = System.nanoTime();
                for (int i = 0; i < total; i++) {
                    TimeUnit.NANOSECONDS.sleep(start + realTimeSpan.toNanos() / total * i - System.nanoTime());
                    Click click = new Click("replay-" + RUN + "-" + i, "replay-user-" + random.nextInt(40),
                            pages.get(random.nextInt(pages.size())), Instant.now().minusSeconds(1));
                    sendUntilAcknowledged(click);
                    synchronized (expected) {
                        expected.add(click);
                    }
                    sent.incrementAndGet();
                }
                return null;
            });
            // a reader that queries the view all along: every answer must be a 200 with the page's days
            Future<?> querying = executor.submit(() -> {
                while (reading.get()) {
                    try {
                        client.summary(pages.get(0), today.minusDays(1), today.plusDays(1));
                        queries.incrementAndGet();
                        if (replaying.get()) {
                            queriesWhileReplaying.incrementAndGet();
                        }
                    } catch (AssertionError e) {
                        failedQueries.add(e.getMessage());
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            awaitSent(sending, sent, total / 5);

            TallyClient.Answer started = client.call("POST", aggregator.resolve("/admin/replays"));
            assertEquals(202, started.status(), () -> "POST /admin/replays answered " + started.body());
            JsonNode replay = KafkaTestClient.JSON.readTree(started.body());
            int version = replay.path("version").asInt();
            assertEquals(2, version, started::body);
            assertEquals("replaying", replay.path("state").asText(), started::body);
            replaying.set(true);
            TallyClient.Answer second = client.call("POST", aggregator.resolve("/admin/replays"));
            assertEquals(409, second.status(), () -> "a second replay while one runs answered " + second.body());
            log("replay of view version 2 requested after " + sent.get() + " clicks");

            Instant replayStarted = Instant.now();
            JsonNode serving = awaitJson(aggregator.resolve("/admin/replays/2"), Duration.ofSeconds(150),
                    node -> "serving".equals(node.path("state").asText()));
            log("view version 2 serves after " + RunningTally.secondsSince(replayStarted) + " (" + sent.get()
                    + " clicks sent by then): " + serving);
            awaitJson(tally.url(VIEW).resolve("/api/view-versions"), Duration.ofSeconds(60),
                    node -> node.path("serving").asInt() == 2);
            replaying.set(false);
            log("view-service answers from version 2 after " + RunningTally.secondsSince(replayStarted));

            awaitSender(sending, sent, Duration.ofSeconds(120));
            reading.set(false);
            querying.get(30, TimeUnit.SECONDS);
        } finally {
            reading.set(false);
            executor.shutdownNow();
        }
        assertTrue(failedQueries.isEmpty(), () -> failedQueries.size() + " of " + queries.get()
                + " queries failed during the replay, for example " + failedQueries.get(0));
        assertTrue(queriesWhileReplaying.get() > 0, "the reader should have queried while the replay ran");
        log(queries.get() + " queries answered, " + queriesWhileReplaying.get() + " of them during the replay");

        // no gap and no double count: the clicks of the replay's time, and the earlier tests' views, rebuilt
        awaitSummaries(pages, today.minusDays(1), today.plusDays(1), expected, Duration.ofSeconds(60));
        awaitSummaries(EXACT_PAGES, today.minusDays(1), today, EXACT, Duration.ofSeconds(60));
        if (storm != null) {
            awaitFinalWindowsEqual(storm, STORM_PAGES, Topics.PAGE_STATS + ".v2", "replayed into view version 2");
        }

        // the old version is dropped: its state, and its topics
        awaitJson(aggregator.resolve("/admin/replays/1"), Duration.ofSeconds(60),
                node -> "dropped".equals(node.path("state").asText()));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                "bootstrap.servers", tally.stack().kafkaBootstrap()))) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertFalse(topics.contains(Topics.PAGE_STATS), () -> "page-stats of version 1 is still there: " + topics);
            assertTrue(topics.contains(Topics.PAGE_STATS + ".v2"), () -> "no page-stats.v2: " + topics);
        }
    }

    /** Polls {@code uri} until its JSON answer satisfies {@code done}, and returns that answer. */
    private static JsonNode awaitJson(URI uri, Duration timeout, java.util.function.Predicate<JsonNode> done) {
        JsonNode[] last = {null};
        try {
            await("GET " + uri).atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
                TallyClient.Answer answer = client.call("GET", uri);
                if (answer.status() != 200) {
                    return false;
                }
                last[0] = KafkaTestClient.JSON.readTree(answer.body());
                return done.test(last[0]);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("GET " + uri + " did not get there within " + timeout.toSeconds() + " s; "
                    + "last answer: " + last[0] + "\n" + tally.diagnostics(), e);
        }
        return last[0];
    }

    /**
     * Kills the aggregator with SIGKILL, then waits until the supervisor has started a new one that is ready and
     * has applied clicks again: a consumer killed without leaving its group holds its partitions until its
     * session times out, so "ready" alone does not yet mean "consuming".
     */
    private static void killAggregator(AtomicInteger sent) {
        long killed = tally.kill9(AGGREGATOR);
        Instant killedAt = Instant.now();
        log("killed " + AGGREGATOR + " (pid " + killed + ") with SIGKILL after " + sent.get() + " clicks");
        try {
            await(AGGREGATOR + " restarted").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> tally.restartedAndReady(AGGREGATOR, killed));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(AGGREGATOR + " (pid " + killed + ") was not restarted and ready within 90 s"
                    + " of its kill\n" + tally.diagnostics());
        }
        long restarted = tally.pid(AGGREGATOR).orElse(-1L);
        log(AGGREGATOR + " is back (pid " + restarted + ", ready) in " + RunningTally.secondsSince(killedAt));
        try {
            await(AGGREGATOR + " consuming again").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> tally.metric(AGGREGATOR, "tally_aggregator_events_counted_total")
                            + tally.metric(AGGREGATOR, "tally_aggregator_events_skipped_total") > 0);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(AGGREGATOR + " (pid " + restarted + ") applied no click within 90 s of its "
                    + "restart (metrics tally_aggregator_events_counted_total and _skipped_total)\n"
                    + tally.diagnostics());
        }
        log(AGGREGATOR + " consumes again " + RunningTally.secondsSince(killedAt) + " after the kill, "
                + sent.get() + " clicks sent");
    }

    /** One POST that the webhook receiver got, about the rule's page. */
    private record Delivery(String method, Optional<String> webhookId, JsonNode body) {
    }

    /** What the webhook received that is a firing alert of the rule's page. */
    private static List<Delivery> firingDeliveries() {
        List<Delivery> deliveries = new ArrayList<>();
        for (WebhookReceiver.Request request : webhook.requests()) {
            JsonNode body;
            try {
                body = TallyClient.JSON.readTree(request.body());
            } catch (IOException e) {
                throw new AssertionError("the webhook got a body that is not JSON: " + request, e);
            }
            if (body != null && RULE_PAGE.equals(body.path("page_id").asText())
                    && "firing".equals(body.path("state").asText())) {
                deliveries.add(new Delivery(request.method(), header(request, "webhook-id"), body));
            }
        }
        return deliveries;
    }

    /** The alerts among {@code deliveries}: a retry repeats its webhook-id and fingerprint, a new alert does not. */
    private static Set<List<String>> distinct(List<Delivery> deliveries) {
        return deliveries.stream()
                .map(d -> List.of(d.webhookId().orElse("(none)"), d.body().path("fingerprint").asText()))
                .collect(Collectors.toSet());
    }

    /** A header by name, ignoring case: the JDK server spells names its own way ({@code Webhook-id}). */
    private static Optional<String> header(WebhookReceiver.Request request, String name) {
        return request.headers().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty())
                .map(e -> e.getValue().get(0))
                .findFirst();
    }

    /** Sends a click that must be accepted the first time. */
    private static void sendAcknowledged(Click click, ExpectedCounts expected) throws Exception {
        TallyClient.Answer answer = client.send(click);
        assertEquals(202, answer.status(), () -> "POST /events of " + click + " answered " + answer.body());
        expected.add(click);
    }

    /**
     * Sends a click until ingest acknowledges it, and returns how many retries that took. Only a 503 is retried:
     * it means the click was not written. No answer at all would leave that unknown, so it fails the test.
     */
    private static int sendUntilAcknowledged(Click click) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        int retries = 0;
        while (true) {
            TallyClient.Answer answer;
            try {
                answer = client.send(click);
            } catch (IOException e) {
                throw new AssertionError("POST /events of " + click + " got no answer: " + e, e);
            }
            if (answer.status() == 202) {
                return retries;
            }
            if (answer.status() != 503 || Instant.now().isAfter(deadline)) {
                throw new AssertionError("POST /events of " + click + " answered " + answer.status() + " "
                        + answer.body() + (retries > 0 ? " after " + retries + " retries" : ""));
            }
            retries++;
            Thread.sleep(250);
        }
    }

    /** The thread that sends a test's clicks while the test's own thread kills and checks. */
    private static ExecutorService newSender() {
        return Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "click-sender");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Waits for the sender to finish, failing with what stopped it or with how far it got. */
    private static void awaitSender(Future<Void> sending, AtomicInteger sent, Duration timeout)
            throws InterruptedException {
        try {
            sending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("sending failed after " + sent.get() + " clicks: " + e.getCause()
                    + "\n" + tally.diagnostics(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("sending did not finish within " + timeout.toSeconds() + " s (" + sent.get()
                    + " sent)\n" + tally.diagnostics());
        }
    }

    /** Sleeps for {@code pause}, or less if the sender stops first. */
    private static void pauseWhileSending(Future<Void> sending, Duration pause) throws InterruptedException {
        Instant until = Instant.now().plus(pause);
        while (Instant.now().isBefore(until) && !sending.isDone()) {
            Thread.sleep(20);
        }
    }

    /** Reads the clicks topic from its start until it holds every one of {@code eventIds}, or fails. */
    private static List<ConsumerRecord<String, String>> readClicks(Set<String> eventIds) {
        Set<String> missing = new HashSet<>(eventIds);
        int[] seen = {0};
        List<ConsumerRecord<String, String>> log;
        try (KafkaTestClient kafka = new KafkaTestClient(tally.stack().kafkaBootstrap())) {
            log = kafka.readFromStart(Topics.CLICKS, Duration.ofSeconds(60), read -> {
                for (ConsumerRecord<String, String> record : read.subList(seen[0], read.size())) {
                    try {
                        missing.remove(KafkaTestClient.JSON.readTree(record.value()).path("event_id").asText());
                    } catch (IOException e) {
                        // not a click: the recomputation counts it as unreadable
                    }
                }
                seen[0] = read.size();
                return missing.isEmpty();
            });
        }
        assertTrue(missing.isEmpty(), () -> missing.size() + " acknowledged clicks are not in the clicks topic "
                + "after 60 s, for example " + missing.stream().sorted().limit(10).toList() + "\n"
                + tally.diagnostics());
        return log;
    }

    /**
     * Reads page-stats until the newest result of every window of {@code expected} is final, then fails unless
     * each equals the recomputation exactly, saying how each window differs.
     */
    private static void awaitFinalWindowsEqual(LogRecomputation expected, List<String> pages, String topic,
                                               String context) {
        Instant waiting = Instant.now();
        PublishedWindows published = new PublishedWindows(Set.copyOf(pages));
        Set<WindowKey> windows = expected.windows().keySet();
        try (KafkaTestClient kafka = new KafkaTestClient(tally.stack().kafkaBootstrap())) {
            // on to the end of the topic, so that a result that changes a final window after all is seen too
            kafka.readFromStart(topic, Duration.ofMinutes(3),
                    read -> published.catchUp(read) == 0 && published.allFinal(windows));
        }
        log(published.finalCount(windows) + " of " + windows.size() + " windows final after "
                + RunningTally.secondsSince(waiting) + " (" + published.read() + " " + topic + " records read, "
                + published.nonFinalOfFinalOnly() + " non-final results of five-minutes windows, "
                + published.unreadable() + " unreadable)");
        List<String> differences = published.differencesFrom(expected);
        if (!differences.isEmpty()) {
            fail(topic + " differs from the recomputation of the clicks log (" + windows.size() + " windows, "
                    + context + ") in " + differences.size() + " ways:\n  "
                    + String.join("\n  ", differences.subList(0, Math.min(60, differences.size())))
                    + (differences.size() > 60 ? "\n  ... and " + (differences.size() - 60) + " more" : "")
                    + "\n" + tally.diagnostics());
        }
    }

    /** Fails unless the log holds exactly the clicks that ingest acknowledged: nothing lost, nothing invented. */
    private static void assertSameIds(Set<String> acknowledged, Set<String> logged) {
        List<String> lost = acknowledged.stream().filter(id -> !logged.contains(id)).sorted().toList();
        List<String> invented = logged.stream().filter(id -> !acknowledged.contains(id)).sorted().toList();
        assertTrue(lost.isEmpty() && invented.isEmpty(), () -> "the clicks log and the acknowledged clicks differ: "
                + lost.size() + " acknowledged but not in the log " + lost.stream().limit(10).toList() + ", "
                + invented.size() + " in the log but never acknowledged " + invented.stream().limit(10).toList());
    }

    /** Waits until {@code count} clicks are acknowledged, failing at once if the sender has failed. */
    private static void awaitSent(Future<Void> sending, AtomicInteger sent, int count) throws Exception {
        try {
            await(count + " clicks acknowledged").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
                    .until(() -> sending.isDone() || sent.get() >= count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("only " + sent.get() + " clicks acknowledged after 90 s\n" + tally.diagnostics());
        }
        if (sending.isDone()) {
            sending.get(); // throws what stopped the sender
            fail("the sender finished before " + count + " clicks");
        }
    }

    /** Polls the view of each page until it equals what the test computed, or fails with both and the logs. */
    private static void awaitSummaries(List<String> pages, LocalDate from, LocalDate to, ExpectedCounts expected,
                                       Duration timeout) {
        Instant started = Instant.now();
        try {
            await("summaries of " + pages).atMost(timeout).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        for (String page : pages) {
                            assertEquals(expected.of(page), client.summary(page, from, to),
                                    "GET /api/pages/" + page + "/summary?from=" + from + "&to=" + to);
                        }
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + tally.diagnostics(), e);
        }
        log("summaries of " + pages.size() + " page(s) exact after " + RunningTally.secondsSince(started));
    }

    private static void log(String message) {
        System.out.println("[PipelineIT] " + message);
    }
}
