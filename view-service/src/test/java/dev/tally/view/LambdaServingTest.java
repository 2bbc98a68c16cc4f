package dev.tally.view;

import dev.tally.contracts.DailySummary;
import dev.tally.contracts.Topics;
import dev.tally.contracts.WindowRef;
import dev.tally.contracts.WindowResult;
import dev.tally.testkit.KafkaTestClient;
import dev.tally.testkit.TallyStackResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch view on the real Kafka and PostgreSQL: page-summaries rows and run ends, page-stats day windows, and
 * what the summary and reconciliation endpoints make of them.
 *
 * <p>The served run is global, so each test makes its runs newer than every run before it (their
 * {@code complete_until} keeps growing) and stays before 2026-11-01, the month the other tests of this module
 * use for speed-only days.
 */
@QuarkusTest
@QuarkusTestResource(TallyStackResource.class)
class LambdaServingTest {
    private static final Instant FIRST_COMPLETE_UNTIL = Instant.parse("2026-06-01T00:00:00Z");
    private static final Instant OTHER_TESTS_START = Instant.parse("2026-11-01T00:00:00Z");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrap);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void theLastCoveredDayComesFromTheBatchAndTheNextFromTheSpeedLayer() {
        Instant completeUntil = nextCompleteUntil();
        LocalDate last = day(completeUntil).minusDays(1);
        String page = page();
        speed(page, last.minusDays(1), 100, 40, true);
        speed(page, last, 101, 41, true);
        speed(page, last.plusDays(1), 102, 42, false);
        speed(page, last.plusDays(2), 103, 43, false);
        String run = run();
        row(run, page, last.minusDays(1), 10, 4);
        row(run, page, last, 11, 5);
        row(run, page, last.plusDays(1), 12, 6); // the run's partial last day: not covered, never served
        end(run, completeUntil, 3);
        awaitServed(run);

        JsonPath summary = awaitSummary(page, last.minusDays(1), last.plusDays(2), 4);
        assertEquals(run, summary.getString("batch_run.run_id"));
        assertEquals(completeUntil.toString(), summary.getString("batch_run.complete_until"));
        assertEquals(last.toString(), summary.getString("batch_run.last_covered_day"));
        assertEquals(List.of(last.minusDays(1), last, last.plusDays(1), last.plusDays(2)).stream()
                .map(LocalDate::toString).toList(), summary.getList("days.date"));
        assertEquals(List.of("batch", "batch", "speed", "speed"), summary.getList("days.layer"));
        assertEquals(List.of(10, 11, 102, 103), summary.getList("days.total_views"));
        assertEquals(List.of(4, 5, 42, 43), summary.getList("days.unique_users"));
        assertEquals(List.of(true, true, false, false), summary.getList("days.final"));
        assertEquals(List.of(page, page, page, page), summary.getList("days.page_id"));
    }

    @Test
    void theRowsOfAnUnfinishedRunAreNotServed() {
        Instant completeUntil = nextCompleteUntil();
        LocalDate last = day(completeUntil).minusDays(1);
        String page = page();
        speed(page, last, 70, 7, true);
        awaitSummary(page, last, last, 1);

        String neverEnded = run();
        row(neverEnded, page, last, 1, 1);
        String missingARow = run();
        row(missingARow, page, last, 2, 2);
        // its end overtakes its second row, as it can when the row sits on another partition
        end(missingARow, completeUntil, 2);
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals("open", runs().get(neverEnded).state());
            assertEquals(new RunState("ended", 1, 2L), runs().get(missingARow));
        });
        JsonPath unfinished = summary(page, last, last);
        assertNotEquals(missingARow, unfinished.getString("batch_run.run_id"));
        assertNotEquals(neverEnded, unfinished.getString("batch_run.run_id"));
        assertEquals(List.of("speed"), unfinished.getList("days.layer"));
        assertEquals(List.of(70), unfinished.getList("days.total_views"));

        row(missingARow, page, last.minusDays(1), 3, 3);
        awaitServed(missingARow);
        JsonPath served = summary(page, last.minusDays(1), last);
        assertEquals(List.of("batch", "batch"), served.getList("days.layer"));
        assertEquals(List.of(3, 2), served.getList("days.total_views"));
        assertEquals("open", runs().get(neverEnded).state());
    }

    @Test
    void aNewerRunReplacesTheServedOneAtomically() throws Exception {
        Instant first = nextCompleteUntil();
        LocalDate last = day(first).minusDays(1);
        String page = page();
        String a = run();
        row(a, page, last.minusDays(1), 10, 1);
        row(a, page, last, 20, 2);
        end(a, first, 2);
        awaitServed(a);

        Instant second = first.plus(Duration.ofDays(1));
        String b = run();
        row(b, page, last.minusDays(1), 11, 1);
        row(b, page, last, 21, 2);
        row(b, page, last.plusDays(1), 31, 3);
        // rows alone change nothing
        await().atMost(WAIT).until(() -> runs().get(b) != null && runs().get(b).rowsReceived() == 3);
        JsonPath before = summary(page, last.minusDays(1), last.plusDays(1));
        assertEquals(a, before.getString("batch_run.run_id"));
        assertEquals(List.of(10, 20), before.getList("days.total_views"));

        // while the end of b arrives, every answer is all a or all b
        List<String> mixed = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean polling = new AtomicBoolean(true);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        Future<Integer> answers = reader.submit(() -> {
            int n = 0;
            while (polling.get()) {
                JsonPath answer = summary(page, last.minusDays(1), last.plusDays(1));
                String servedRun = answer.getString("batch_run.run_id");
                List<Object> views = answer.getList("days.total_views");
                List<Object> layers = answer.getList("days.layer");
                boolean allA = a.equals(servedRun) && views.equals(List.of(10, 20))
                        && layers.equals(List.of("batch", "batch"));
                boolean allB = b.equals(servedRun) && views.equals(List.of(11, 21, 31))
                        && layers.equals(List.of("batch", "batch", "batch"));
                if (!allA && !allB) {
                    mixed.add(answer.prettify());
                }
                n++;
            }
            return n;
        });
        try {
            end(b, second, 3);
            awaitServed(b);
        } finally {
            polling.set(false);
            reader.shutdown();
        }
        assertTrue(answers.get() > 0);
        assertEquals(List.of(), mixed);
        // a's rows outlive the switch a little (keep-superseded, 3 s in tests), then go
        await().atMost(WAIT).untilAsserted(() -> assertEquals(new RunState("dropped", 2, 2L), runs().get(a)));

        // a run that ends later but is complete only up to an earlier instant never replaces b
        String older = run();
        row(older, page, last.minusDays(1), 99, 9);
        end(older, first.minus(Duration.ofDays(1)), 1);
        await().atMost(WAIT).until(() -> List.of("superseded", "dropped").contains(runs().get(older).state()));
        JsonPath after = summary(page, last.minusDays(1), last.plusDays(1));
        assertEquals(b, after.getString("batch_run.run_id"));
        assertEquals(List.of(11, 21, 31), after.getList("days.total_views"));
    }

    @Test
    void redeliveredRecordsChangeNothing() {
        Instant completeUntil = nextCompleteUntil();
        LocalDate last = day(completeUntil).minusDays(1);
        String page = page();
        String run = run();
        awaitQuiet(); // the trailing copies of earlier runs' ends are counted before the baseline is taken
        double repeatedRows = counter("tally_view_summaries_applied_total", "outcome", "row-repeated");
        double repeatedEnds = counter("tally_view_summaries_applied_total", "outcome", "run-end-repeated");
        double retired = counter("tally_view_summaries_applied_total", "outcome", "retired-run");
        double unreadable = counter("tally_view_summaries_ignored_total", "reason", "unreadable");
        int partitions = 0;
        for (int delivery = 0; delivery < 2; delivery++) {
            row(run, page, last.minusDays(1), 5, 2);
            row(run, page, last, 6, 3);
            partitions = end(run, completeUntil, 2);
        }
        kafka.send(Topics.PAGE_SUMMARIES, page, "{not json");
        kafka.send(Topics.PAGE_SUMMARIES, page + "/" + last, DailySummary.row(run, page, last, 3, 4)); // 4 > 3
        int ends = partitions;
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals(repeatedRows + 2, counter("tally_view_summaries_applied_total", "outcome", "row-repeated"));
            // the first of all the end's copies ended the run; every other copy was a repeat
            assertEquals(repeatedEnds + 2 * ends - 1,
                    counter("tally_view_summaries_applied_total", "outcome", "run-end-repeated"));
            assertEquals(unreadable + 2, counter("tally_view_summaries_ignored_total", "reason", "unreadable"));
        });
        assertEquals(new RunState("current", 2, 2L), runs().get(run));
        JsonPath summary = summary(page, last.minusDays(1), last);
        assertEquals(List.of(5, 6), summary.getList("days.total_views"));
        assertEquals(List.of(2, 3), summary.getList("days.unique_users"));

        // once replaced, the run's records are ignored: they neither come back nor disturb the newer run
        String newer = run();
        row(newer, page, last, 7, 3);
        end(newer, completeUntil.plus(Duration.ofDays(1)), 1);
        awaitServed(newer);
        row(run, page, last.minusDays(1), 5, 2);
        end(run, completeUntil, 2);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(retired + 1 + ends,
                counter("tally_view_summaries_applied_total", "outcome", "retired-run")));
        assertTrue(List.of("superseded", "dropped").contains(runs().get(run).state()));
        JsonPath after = summary(page, last.minusDays(1), last);
        assertEquals(newer, after.getString("batch_run.run_id"));
        assertEquals(List.of(7), after.getList("days.total_views"));
    }

    @Test
    void aRunOfManyRowsIsServedWholeOnceItsEndArrives() {
        Instant completeUntil = nextCompleteUntil();
        LocalDate last = day(completeUntil).minusDays(1);
        String prefix = page();
        String run = run();
        int rows = 400;
        awaitQuiet();
        double stored = counter("tally_view_summaries_applied_total", "outcome", "row");
        double repeated = counter("tally_view_summaries_applied_total", "outcome", "row-repeated");
        // every row twice, the copies interleaved, so that polls hold a row and its copy as well as fresh rows
        for (int i = 0; i < rows; i++) {
            row(run, prefix + "-" + i, last, i + 1, 1);
            if (i % 2 == 1) {
                row(run, prefix + "-" + (i - 1), last, i, 1);
                row(run, prefix + "-" + i, last, i + 1, 1);
            }
        }
        end(run, completeUntil, rows);
        awaitServed(run);
        assertEquals(new RunState("current", rows, (long) rows), runs().get(run));
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals(stored + rows, counter("tally_view_summaries_applied_total", "outcome", "row"));
            assertEquals(repeated + rows, counter("tally_view_summaries_applied_total", "outcome", "row-repeated"));
        });
        for (int i : List.of(0, 1, rows / 2, rows - 1)) {
            JsonPath summary = summary(prefix + "-" + i, last, last);
            assertEquals(run, summary.getString("batch_run.run_id"));
            assertEquals(List.of(i + 1), summary.getList("days.total_views"));
        }
    }

    @Test
    void reconciliationReportsAKnownDifferenceExactly() {
        Instant completeUntil = nextCompleteUntil();
        LocalDate d3 = day(completeUntil).minusDays(1);
        LocalDate d2 = d3.minusDays(1);
        LocalDate d1 = d2.minusDays(1);
        LocalDate d0 = d1.minusDays(1);
        String page = page();
        speed(page, d0, 5, 2, true);        // only in the speed layer
        speed(page, d1, 100, 40, true);     // agrees
        speed(page, d2, 47, 21, false);     // 3 views fewer, 1 user more
        speed(page, d3.plusDays(1), 1, 1, false); // beyond the run's coverage: not compared
        String run = run();
        row(run, page, d1, 100, 40);
        row(run, page, d2, 50, 20);
        row(run, page, d3, 30, 10);         // only in the batch view
        // before the run is served, all four windows are served from the speed layer: all applied
        awaitSummary(page, d0, d3.plusDays(1), 4);
        end(run, completeUntil, 3);
        awaitServed(run);

        JsonPath report = given().queryParam("page", page).when().get("/api/reconciliation")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(run, report.getString("batch_run.run_id"));
        assertEquals(page, report.getString("page_id"));
        assertEquals(d3.toString(), report.getString("to"));
        assertNull(report.getString("from"));
        assertEquals(2, report.getInt("totals.keys_compared"));
        assertEquals(1, report.getInt("totals.keys_differing"));
        assertEquals(1, report.getInt("totals.keys_only_in_batch"));
        assertEquals(1, report.getInt("totals.keys_only_in_speed"));
        assertEquals(180, report.getInt("totals.batch_views"));
        assertEquals(152, report.getInt("totals.speed_views"));
        assertEquals(0 + 3 + 30 + 5, report.getInt("totals.views_difference"));
        assertEquals(38.0 / 180, report.getDouble("totals.views_relative_error"), 1e-6);
        assertEquals(70, report.getInt("totals.batch_unique_users"));
        assertEquals(63, report.getInt("totals.speed_unique_users"));
        assertEquals(0 + 1 + 10 + 2, report.getInt("totals.unique_users_difference"));
        assertEquals(13.0 / 70, report.getDouble("totals.unique_users_relative_error"), 1e-6);
        assertEquals(false, report.getBoolean("keys_truncated"));

        assertEquals(List.of(d0, d1, d2, d3).stream().map(LocalDate::toString).toList(), report.getList("keys.date"));
        assertEquals(Collections.nCopies(4, page), report.getList("keys.page_id"));
        assertEquals(java.util.Arrays.asList(null, 100, 50, 30), report.getList("keys.batch_views"));
        assertEquals(java.util.Arrays.asList(5, 100, 47, null), report.getList("keys.speed_views"));
        assertEquals(java.util.Arrays.asList(true, true, false, null), report.getList("keys.speed_final"));
        assertEquals(List.of(5, 0, -3, -30), report.getList("keys.views_difference"));
        assertEquals(List.of(2, 0, 1, -10), report.getList("keys.unique_users_difference"));
        assertNull(report.get("keys[0].views_relative_error"));
        assertEquals(0.0, report.getDouble("keys[1].views_relative_error"));
        assertEquals(0.06, report.getDouble("keys[2].views_relative_error"), 1e-6);
        assertEquals(0.05, report.getDouble("keys[2].unique_users_relative_error"), 1e-6);
        assertEquals(1.0, report.getDouble("keys[3].views_relative_error"), 1e-6);

        JsonPath oneDay = given().queryParam("page", page).queryParam("from", d2.toString())
                .queryParam("to", d2.toString()).when().get("/api/reconciliation")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(1, oneDay.getInt("totals.keys_differing"));
        assertEquals(3, oneDay.getInt("totals.views_difference"));
        assertEquals(List.of(d2.toString()), oneDay.getList("keys.date"));

        JsonPath differing = given().queryParam("page", page).queryParam("differing_only", "true")
                .queryParam("limit", "2").when().get("/api/reconciliation")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(d0.toString(), d2.toString()), differing.getList("keys.date"));
        assertEquals(true, differing.getBoolean("keys_truncated"));
        assertEquals(38, differing.getInt("totals.views_difference")); // totals always cover every key

        // the gauges say what the whole coverage says
        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath all = given().when().get("/api/reconciliation?limit=0").then().statusCode(200)
                    .extract().jsonPath();
            assertEquals(run, all.getString("batch_run.run_id"));
            assertEquals(all.getDouble("totals.views_difference"),
                    gauge("tally_view_reconciliation_views_difference"));
            assertEquals(all.getDouble("totals.views_relative_error"),
                    gauge("tally_view_reconciliation_views_relative_error"), 1e-6);
            assertEquals(all.getDouble("totals.unique_users_difference"),
                    gauge("tally_view_reconciliation_unique_users_difference"));
            assertEquals(all.getDouble("totals.keys_compared"),
                    counter("tally_view_reconciliation_keys", "kind", "compared"));
            assertEquals((double) completeUntil.getEpochSecond(), gauge("tally_view_batch_complete_until"));
        });
        double drift = gauge("tally_view_reconciliation_views_difference");
        assertTrue(drift >= 38, "the whole coverage holds this page's drift at least: " + drift);

        // the stream corrects day 2 (no run switch): the periodic recomputation sees the drift shrink by 3
        WindowResult corrected = new WindowResult(page, WindowRef.utcDay(d2.atStartOfDay().toInstant(ZoneOffset.UTC)),
                50, 20, 2, true, null, Map.of(0, 11L), Instant.now());
        kafka.send(Topics.PAGE_STATS, corrected.key(), corrected);
        await().atMost(WAIT).untilAsserted(() ->
                assertEquals(drift - 3, gauge("tally_view_reconciliation_views_difference")));
        JsonPath afterCorrection = given().queryParam("page", page).when().get("/api/reconciliation")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(0, afterCorrection.getInt("totals.keys_differing"));
        assertEquals(35, afterCorrection.getInt("totals.views_difference"));
    }

    @Test
    void badReconciliationQueriesAreProblems() {
        given().queryParam("from", "last week").when().get("/api/reconciliation")
                .then().statusCode(400).contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.equalTo("https://tally.dev/problems/invalid-query"))
                .body("detail", org.hamcrest.Matchers.equalTo(
                        "query parameter 'from' must be a date as YYYY-MM-DD, not 'last week'"));
        given().queryParam("from", "2026-07-02").queryParam("to", "2026-07-01").when().get("/api/reconciliation")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.equalTo("'to' (2026-07-01) is before 'from' (2026-07-02)"));
        given().queryParam("limit", "-1").when().get("/api/reconciliation")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.equalTo(
                        "query parameter 'limit' must be a whole number from 0 to 10000, not '-1'"));
        given().queryParam("differing_only", "yes").when().get("/api/reconciliation")
                .then().statusCode(400).contentType("application/problem+json");
        given().queryParam("limit", "0").when().get("/api/batch-runs")
                .then().statusCode(400).contentType("application/problem+json");
    }

    // --- helpers ---

    record RunState(String state, long rowsReceived, Long rowsExpected) {
    }

    private static String page() {
        return "lambda-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String run() {
        return "run-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static LocalDate day(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }

    /** A midnight after the complete_until of every run so far, so that a run ending there is the newest. */
    private static Instant nextCompleteUntil() {
        List<String> seen = given().queryParam("limit", "1000").when().get("/api/batch-runs")
                .then().statusCode(200).extract().jsonPath().getList("complete_until");
        Instant latest = seen.stream().filter(Objects::nonNull).map(Instant::parse).max(Instant::compareTo)
                .orElse(FIRST_COMPLETE_UNTIL);
        Instant next = latest.truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofDays(5));
        assertTrue(next.isBefore(OTHER_TESTS_START), "ran out of days before " + OTHER_TESTS_START);
        return next;
    }

    private void speed(String page, LocalDate day, long views, long users, boolean isFinal) {
        WindowResult result = new WindowResult(page, WindowRef.utcDay(day.atStartOfDay().toInstant(ZoneOffset.UTC)),
                views, users, 1, isFinal, null, Map.of(0, 10L), Instant.now());
        kafka.send(Topics.PAGE_STATS, result.key(), result);
    }

    private void row(String run, String page, LocalDate day, long views, long users) {
        DailySummary row = DailySummary.row(run, page, day, views, users);
        kafka.send(Topics.PAGE_SUMMARIES, row.key(), row);
    }

    /** Sends the run's end to every partition, as the batch layer does; returns how many copies were sent. */
    private int end(String run, Instant completeUntil, long rows) {
        DailySummary end = DailySummary.run(run, Map.of(0, 100L, 1, 200L), completeUntil, rows);
        return kafka.sendToEveryPartition(Topics.PAGE_SUMMARIES, end.key(), end).size();
    }

    private static Map<String, RunState> runs() {
        JsonPath runs = given().queryParam("limit", "1000").when().get("/api/batch-runs")
                .then().statusCode(200).extract().jsonPath();
        Map<String, RunState> byId = new java.util.HashMap<>();
        List<Map<String, Object>> list = runs.getList("$");
        for (Map<String, Object> run : list) {
            Number expected = (Number) run.get("rows_expected");
            byId.put((String) run.get("run_id"), new RunState((String) run.get("state"),
                    ((Number) run.get("rows_received")).longValue(), expected == null ? null : expected.longValue()));
        }
        return byId;
    }

    private static void awaitServed(String run) {
        await().atMost(WAIT).untilAsserted(() -> assertEquals("current",
                runs().getOrDefault(run, new RunState("unseen", 0, null)).state(), run));
    }

    private static JsonPath summary(String page, LocalDate from, LocalDate to) {
        return given().queryParam("from", from.toString()).queryParam("to", to.toString())
                .when().get("/api/pages/{page}/summary", page)
                .then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitSummary(String page, LocalDate from, LocalDate to, int days) {
        return await().atMost(WAIT).until(() -> summary(page, from, to), s -> s.getList("days").size() == days);
    }

    /** Waits until the consumer of page-summaries has applied nothing new for a second. */
    private static void awaitQuiet() {
        double[] last = {-1};
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            double now = Pattern.compile("(?m)^tally_view_summaries_applied_total\\{[^}]*} (\\S+)$")
                    .matcher(metrics()).results().mapToDouble(m -> Double.parseDouble(m.group(1))).sum();
            boolean quiet = now == last[0];
            last[0] = now;
            return quiet;
        });
    }

    private static String metrics() {
        return given().when().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The value of an untagged gauge at /q/metrics. */
    private static double gauge(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(metrics());
        assertTrue(m.find(), name + " is not exported");
        return Double.parseDouble(m.group(1));
    }

    /** The value of a meter with one tag at /q/metrics, 0 when it is not there yet. */
    private static double counter(String name, String tag, String value) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*" + tag + "=\"" + Pattern.quote(value)
                + "\"[^}]*} (\\S+)$").matcher(metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
