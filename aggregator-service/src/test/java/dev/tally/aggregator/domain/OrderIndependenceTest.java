package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For any order of the same events within the allowed out-of-orderness, any split into partitions and
 * micro-batches, and any interleaving of the partitions at stage 2, the final results are the same, and equal to
 * a plain batch computation over the events.
 */
class OrderIndependenceTest {
    private static final Instant BASE = Instant.parse("2026-11-23T10:00:00Z");
    private static final Duration OUT_OF_ORDERNESS = Duration.ofSeconds(20);
    private static final List<WindowSpec> SPECS = List.of(
            WindowSpec.tumbling("1m", Duration.ofMinutes(1), Duration.ofSeconds(5), WindowSpec.EmitPolicy.ON_UPDATE),
            WindowSpec.hopping("5m-1m", Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ZERO,
                    WindowSpec.EmitPolicy.FINAL),
            WindowSpec.tumbling("1d", Duration.ofDays(1), Duration.ZERO, WindowSpec.EmitPolicy.ON_UPDATE));
    private static final WindowSpec SESSION = WindowSpec.session("session", Duration.ofSeconds(90), Duration.ZERO);

    private record Click(String user, String page, int second) {
    }

    @Provide
    Arbitrary<List<Click>> clicks() {
        return clicksOf(12, 300);
    }

    /** Up to {@code most} clicks of {@code users} users on three pages, within 15 minutes. */
    private static Arbitrary<List<Click>> clicksOf(int users, int most) {
        Arbitrary<Click> click = Combinators.combine(
                Arbitraries.integers().between(0, users - 1).map(i -> "user-" + i),
                Arbitraries.of("home", "cart", "about"),
                Arbitraries.integers().between(0, 900)).as(Click::new);
        return click.list().ofMinSize(1).ofMaxSize(most);
    }

    @Property(tries = 200)
    void finalResultsDependOnTheEventsOnly(@ForAll("clicks") List<Click> clicks,
                                           @ForAll @IntRange(min = 1, max = 4) int partitions,
                                           @ForAll long seed) {
        Map<String, long[]> expected = batch(clicks);
        Map<String, long[]> actual = stream(clicks, partitions, new Random(seed));
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((key, value) -> {
            assertEquals(value[0], actual.get(key)[0], "views of " + key);
            assertEquals(value[1], actual.get(key)[1], "unique users of " + key);
        });
    }

    /** Thousands of users: the sessions' table of users grows, and completions take users out between others. */
    @Provide
    Arbitrary<List<Click>> clicksOfManyUsers() {
        return clicksOf(3_000, 2_000);
    }

    @Property(tries = 200)
    void sessionsDependOnTheEventsOnly(@ForAll("clicks") List<Click> clicks, @ForAll long seed) {
        assertSessionsAsInABatch(clicks, seed);
    }

    @Property(tries = 50)
    void sessionsOfManyUsersDependOnTheEventsOnly(@ForAll("clicksOfManyUsers") List<Click> clicks,
                                                  @ForAll long seed) {
        assertSessionsAsInABatch(clicks, seed);
    }

    private static void assertSessionsAsInABatch(List<Click> clicks, long seed) {
        Set<String> expected = batchSessions(clicks);
        Random random = new Random(seed);
        SessionWindows sessions = new SessionWindows(SESSION);
        Instant max = null;
        Set<String> actual = new HashSet<>();
        for (Click click : arrivalOrder(clicks, random)) {
            Instant watermark = max == null ? null : max.minus(OUT_OF_ORDERNESS);
            assertTrue(sessions.add(event(click), watermark).isEmpty(), "nothing is late within the bound");
            max = max == null || time(click).isAfter(max) ? time(click) : max;
            if (random.nextInt(10) == 0) {
                sessions.complete(max.minus(OUT_OF_ORDERNESS)).forEach(s -> actual.add(describe(s)));
            }
        }
        sessions.complete(BASE.plus(Duration.ofDays(2))).forEach(s -> actual.add(describe(s)));
        assertEquals(expected, actual);
    }

    /** Arrival order: event time plus a random delay within the allowed out-of-orderness. */
    private static List<Click> arrivalOrder(List<Click> clicks, Random random) {
        Map<Click, Long> arrival = new java.util.IdentityHashMap<>();
        for (Click click : clicks) {
            arrival.put(click, click.second() * 1000L + random.nextInt((int) OUT_OF_ORDERNESS.toMillis() + 1));
        }
        List<Click> ordered = new ArrayList<>(clicks);
        ordered.sort(Comparator.comparingLong(arrival::get));
        return ordered;
    }

    private static Map<String, long[]> stream(List<Click> clicks, int partitions, Random random) {
        List<List<Click>> byPartition = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            byPartition.add(new ArrayList<>());
        }
        for (Click click : arrivalOrder(clicks, random)) {
            byPartition.get(Math.floorMod(click.user().hashCode(), partitions)).add(click);
        }
        List<PartialWindows> stage1 = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            stage1.add(new PartialWindows(p, SPECS, OUT_OF_ORDERNESS, 5));
        }
        WindowTotals stage2 = new WindowTotals(SPECS, partitions, Duration.ofDays(3));
        Map<String, long[]> finals = new HashMap<>();
        int[] next = new int[partitions];
        // per source partition, what it sent and stage 2 has not received yet, in the order it must arrive:
        // a batch's updates (in any order among themselves), then the partition's watermark after that batch
        List<java.util.Deque<Object>> inFlight = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            inFlight.add(new java.util.ArrayDeque<>());
        }
        boolean more = true;
        while (more) {
            int p = random.nextInt(partitions);
            int batch = 1 + random.nextInt(20);
            for (int i = 0; i < batch && next[p] < byPartition.get(p).size(); i++) {
                assertTrue(stage1.get(p).add(event(byPartition.get(p).get(next[p]++))).isEmpty(),
                        "nothing is late within the bound");
            }
            List<PartialWindows.Update> updates = stage1.get(p).drain();
            java.util.Collections.shuffle(updates, random);
            inFlight.get(p).addAll(updates);
            if (stage1.get(p).watermark() != null) {
                inFlight.get(p).add(stage1.get(p).watermark());
            }
            int q = random.nextInt(partitions);
            int deliver = random.nextInt(inFlight.get(q).size() + 1);
            for (int i = 0; i < deliver; i++) {
                deliver(stage2, q, inFlight.get(q).poll());
            }
            collect(stage2.drain(), finals);
            more = false;
            for (int r = 0; r < partitions; r++) {
                more |= next[r] < byPartition.get(r).size();
            }
        }
        for (int p = 0; p < partitions; p++) {
            // the input is over: each partition goes idle, sending the final-only partials it held back first
            List<PartialWindows.Update> held = stage1.get(p).flush();
            java.util.Collections.shuffle(held, random);
            inFlight.get(p).addAll(held);
        }
        for (int p = 0; p < partitions; p++) {
            while (!inFlight.get(p).isEmpty()) {
                deliver(stage2, p, inFlight.get(p).poll());
            }
            collect(stage2.drain(), finals);
        }
        for (int p = 0; p < partitions; p++) {
            stage2.watermark(p, BASE.plus(Duration.ofDays(2)), false); // the end of input closes every window
        }
        collect(stage2.drain(), finals);
        return finals;
    }

    private static void deliver(WindowTotals stage2, int partition, Object message) {
        if (message instanceof PartialWindows.Update update) {
            assertTrue(stage2.apply(update), "no partial comes after its window's retention");
        } else {
            stage2.watermark(partition, (Instant) message, false);
        }
    }

    private static void collect(List<WindowTotals.Result> results, Map<String, long[]> finals) {
        for (WindowTotals.Result result : results) {
            if (result.finalResult()) {
                String key = result.window().spec() + "|" + result.pageId() + "|" + result.window().start();
                long[] previous = finals.put(key, new long[] {result.views(), result.uniqueUsers(),
                        result.version()});
                assertTrue(previous == null, "a final result is never corrected: " + key);
            }
        }
    }

    private static Map<String, long[]> batch(List<Click> clicks) {
        Map<String, Long> views = new HashMap<>();
        Map<String, Set<String>> users = new HashMap<>();
        for (Click click : clicks) {
            for (WindowSpec spec : SPECS) {
                for (Window window : spec.windowsOf(time(click))) {
                    String key = spec.name() + "|" + click.page() + "|" + window.start();
                    views.merge(key, 1L, Long::sum);
                    users.computeIfAbsent(key, k -> new HashSet<>()).add(click.user());
                }
            }
        }
        Map<String, long[]> result = new HashMap<>();
        views.forEach((key, count) -> result.put(key, new long[] {count, users.get(key).size()}));
        return result;
    }

    private static Set<String> batchSessions(List<Click> clicks) {
        Map<String, TreeMap<Integer, List<Click>>> byUser = new HashMap<>();
        for (Click click : clicks) {
            byUser.computeIfAbsent(click.user(), u -> new TreeMap<>())
                    .computeIfAbsent(click.second(), s -> new ArrayList<>()).add(click);
        }
        Set<String> sessions = new HashSet<>();
        long gap = SESSION.gap().toSeconds();
        byUser.forEach((user, times) -> {
            Integer start = null;
            Integer end = null;
            long events = 0;
            Set<String> pages = new java.util.TreeSet<>();
            for (Map.Entry<Integer, List<Click>> at : times.entrySet()) {
                if (end != null && at.getKey() - end >= gap) {
                    sessions.add(user + " " + start + ".." + end + " " + events + " " + pages);
                    start = null;
                    events = 0;
                    pages = new java.util.TreeSet<>();
                }
                start = start == null ? at.getKey() : start;
                end = at.getKey();
                events += at.getValue().size();
                for (Click c : at.getValue()) {
                    pages.add(c.page());
                }
            }
            sessions.add(user + " " + start + ".." + end + " " + events + " " + pages);
        });
        return sessions;
    }

    private static String describe(SessionWindows.Session session) {
        return session.userId() + " " + Duration.between(BASE, session.start()).toSeconds() + ".."
                + Duration.between(BASE, session.end()).toSeconds() + " " + session.events() + " "
                + new java.util.TreeSet<>(session.pages());
    }

    private static Instant time(Click click) {
        return BASE.plusSeconds(click.second());
    }

    private static ClickEvent event(Click click) {
        return new ClickEvent(java.util.UUID.randomUUID().toString(), click.user(), click.page(), "view",
                time(click), null, time(click), null, null);
    }
}
