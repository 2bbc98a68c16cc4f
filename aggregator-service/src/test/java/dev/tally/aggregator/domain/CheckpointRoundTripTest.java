package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static dev.tally.aggregator.domain.StateBytes.bytes;
import static dev.tally.aggregator.domain.StateBytes.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Incremental checkpoints: a state restored from a snapshot and the deltas written after it behaves exactly like
 * the state that wrote them, whichever batches were snapshots and which were deltas, through the switch from exact
 * unique counting to the sketch, late events, closed windows and completed sessions.
 */
class CheckpointRoundTripTest {
    private static final Instant BASE = Instant.parse("2026-11-23T10:00:00Z");
    private static final List<WindowSpec> SPECS = List.of(
            WindowSpec.tumbling("minute", Duration.ofMinutes(1), Duration.ofSeconds(10),
                    WindowSpec.EmitPolicy.ON_UPDATE),
            WindowSpec.hopping("five", Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ZERO,
                    WindowSpec.EmitPolicy.FINAL),
            WindowSpec.tumbling("day", Duration.ofDays(1), Duration.ofDays(30), WindowSpec.EmitPolicy.ON_UPDATE));
    private static final WindowSpec SESSION = WindowSpec.session("session", Duration.ofMinutes(2), Duration.ZERO);
    private static final int EXACT_LIMIT = 6; // small: the sketch takes over within a few batches

    private static List<ClickEvent> batch(Random random, int batch) {
        List<ClickEvent> events = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // event time moves on by ~20 s a batch, with up to 40 s of disorder: some events are late
            int seconds = batch * 20 + random.nextInt(40) - 20;
            Instant time = BASE.plusSeconds(Math.max(0, seconds));
            String user = "user-" + random.nextInt(30);
            events.add(new ClickEvent("e" + batch + "-" + i, user, "page-" + random.nextInt(4), "view", time, null,
                    time, random.nextBoolean() ? null : (double) random.nextInt(100), null));
        }
        return events;
    }

    @Test
    void stageOneRestoredFromSnapshotAndDeltasGoesOnExactlyLikeTheOriginal() throws IOException {
        for (long seed = 1; seed <= 25; seed++) {
            Random random = new Random(seed);
            PartialWindows live = new PartialWindows(0, SPECS, Duration.ofSeconds(5), EXACT_LIMIT);
            SessionWindows liveSessions = new SessionWindows(SESSION);
            byte[] snapshot = bytes(out -> {
                live.writeTo(out);
                liveSessions.writeTo(out);
            });
            List<byte[]> deltas = new ArrayList<>();
            for (int batch = 0; batch < 40; batch++) {
                List<ClickEvent> events = batch(random, batch);
                if (random.nextInt(5) == 0) { // restore, and go on with both: they must not differ
                    PartialWindows restored = new PartialWindows(0, SPECS, Duration.ofSeconds(5), EXACT_LIMIT);
                    SessionWindows restoredSessions = new SessionWindows(SESSION);
                    read(snapshot, in -> {
                        restored.readFrom(in);
                        restoredSessions.readFrom(in);
                    });
                    for (byte[] delta : deltas) {
                        read(delta, in -> {
                            restored.readChanges(in);
                            restoredSessions.readChanges(in);
                        });
                    }
                    restored.checkpointed();
                    restoredSessions.checkpointed();
                    assertEquals(run(live, liveSessions, events), run(restored, restoredSessions, events),
                            "seed " + seed + ", batch " + batch + ", after " + deltas.size() + " deltas");
                    assertEquals(live.openWindows(), restored.openWindows());
                    assertEquals(liveSessions.openSessions(), restoredSessions.openSessions());
                    // the restored state carries on from here, like a new owner of the partition would
                } else {
                    run(live, liveSessions, events);
                }
                if (random.nextInt(6) == 0) {
                    snapshot = bytes(out -> {
                        live.writeTo(out);
                        liveSessions.writeTo(out);
                    });
                    deltas.clear();
                } else {
                    deltas.add(bytes(out -> {
                        live.writeChanges(out);
                        liveSessions.writeChanges(out);
                    }));
                }
                live.checkpointed();
                liveSessions.checkpointed();
            }
        }
    }

    /** One batch: what stage 1 emits for it, in a fixed order. */
    private static List<String> run(PartialWindows windows, SessionWindows sessions, List<ClickEvent> events) {
        List<String> out = new ArrayList<>();
        for (ClickEvent event : events) {
            Instant watermark = windows.watermark();
            sessions.add(event, watermark).ifPresent(late -> out.add("late session " + late.eventId()));
            windows.add(event).ifPresent(late -> out.add("late " + late.event().eventId() + " " + late.missed()));
        }
        boolean idle = events.get(0).eventId().startsWith("e7-") || events.get(0).eventId().startsWith("e23-");
        (idle ? windows.flush() : windows.drain()).stream().sorted(Comparator.comparing(Object::toString))
                .forEach(update -> out.add(update.toString()));
        sessions.complete(windows.watermark()).stream().sorted(Comparator.comparing(Object::toString))
                .forEach(session -> out.add(session.toString()));
        return out;
    }

    @Test
    void stageTwoRestoredFromSnapshotAndDeltasGoesOnExactlyLikeTheOriginal() throws IOException {
        List<WindowSpec> specs = SPECS;
        for (long seed = 1; seed <= 25; seed++) {
            Random random = new Random(seed);
            List<PartialWindows> sources = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                sources.add(new PartialWindows(p, specs, Duration.ofSeconds(5), EXACT_LIMIT));
            }
            WindowTotals live = new WindowTotals(specs, 3, Duration.ofMinutes(2));
            byte[] snapshot = bytes(live::writeTo);
            List<byte[]> deltas = new ArrayList<>();
            for (int batch = 0; batch < 40; batch++) {
                List<PartialWindows.Update> updates = new ArrayList<>();
                List<Object[]> watermarks = new ArrayList<>();
                for (PartialWindows source : sources) {
                    if (random.nextInt(4) == 0) {
                        continue; // this partition had nothing this time
                    }
                    batch(random, batch).forEach(source::add);
                    updates.addAll(source.drain());
                    watermarks.add(new Object[] {sources.indexOf(source), source.watermark(),
                            random.nextInt(8) == 0});
                }
                if (random.nextInt(5) == 0) {
                    WindowTotals restored = new WindowTotals(specs, 3, Duration.ofMinutes(2));
                    read(snapshot, in -> restored.readFrom(in, true));
                    for (byte[] delta : deltas) {
                        read(delta, in -> restored.readChanges(in, true, true));
                    }
                    restored.checkpointed();
                    assertEquals(live.heldWindows(), restored.heldWindows(), "seed " + seed + ", batch " + batch);
                    assertEquals(run(live, updates, watermarks), run(restored, updates, watermarks),
                            "seed " + seed + ", batch " + batch);
                } else {
                    run(live, updates, watermarks);
                }
                if (random.nextInt(6) == 0) {
                    snapshot = bytes(live::writeTo);
                    deltas.clear();
                } else {
                    deltas.add(bytes(live::writeChanges));
                }
                live.checkpointed();
            }
        }
    }

    @Test
    void aStageTwoDeltaCarriesOnlyThePartialsThatChangedSinceTheLastCheckpoint() throws IOException {
        List<WindowSpec> specs = List.of(SPECS.get(2));
        Instant midnight = BASE.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
        Window day = new Window("day", midnight, midnight.plus(Duration.ofDays(1)));
        WindowTotals live = new WindowTotals(specs, 3, Duration.ofMinutes(2));
        for (int p = 0; p < 3; p++) {
            live.apply(update(p, day, 10 + p, 1), 100L);
        }
        live.drain();
        byte[] snapshot = bytes(live::writeTo);
        live.checkpointed();
        live.apply(update(1, day, 20, 2), 200L);
        byte[] delta = bytes(live::writeChanges);

        // read over nothing, the delta holds partition 1's new partial alone
        WindowTotals deltaAlone = new WindowTotals(specs, 3, Duration.ofMinutes(2));
        read(delta, in -> deltaAlone.readChanges(in, true, true));
        assertEquals(List.of(20L), deltaAlone.drain().stream().map(WindowTotals.Result::views).toList());
        // read over the snapshot it follows, the other two partials are still there: the total the live state has
        WindowTotals restored = new WindowTotals(specs, 3, Duration.ofMinutes(2));
        read(snapshot, in -> restored.readFrom(in, true));
        read(delta, in -> restored.readChanges(in, true, true));
        List<WindowTotals.Result> results = restored.drain();
        assertEquals(List.of(10L + 20 + 12), results.stream().map(WindowTotals.Result::views).toList());
        assertEquals(live.drain(), results);
    }

    @Test
    void aTotalMadeAgainAfterItWasForgottenReplacesTheOldOneWhenTheDeltaIsRead() throws IOException {
        List<WindowSpec> specs = List.of(SPECS.get(0));
        Window minute = new Window("minute", BASE, BASE.plusSeconds(60));
        WindowTotals live = new WindowTotals(specs, 3, Duration.ofMinutes(2));
        live.watermark(2, null, true); // idle: partitions 0 and 1 alone move the watermark
        live.apply(update(0, minute, 5, 1), 100L);
        live.apply(update(1, minute, 7, 1), 100L);
        live.drain();
        byte[] snapshot = bytes(live::writeTo);
        live.checkpointed();
        // final and past its retention: forgotten
        live.watermark(0, BASE.plusSeconds(600), false);
        live.watermark(1, BASE.plusSeconds(600), false);
        assertEquals(List.of(12L), live.drain().stream().map(WindowTotals.Result::views).toList());
        assertEquals(0, live.heldWindows());
        // partition 2 wakes up behind them: the watermark goes back, and its partial makes the total again
        live.watermark(2, BASE, false);
        live.apply(update(2, minute, 3, 1), 200L);
        byte[] delta = bytes(live::writeChanges);

        WindowTotals restored = new WindowTotals(specs, 3, Duration.ofMinutes(2));
        read(snapshot, in -> restored.readFrom(in, true));
        read(delta, in -> restored.readChanges(in, true, true));
        List<WindowTotals.Result> results = restored.drain();
        assertEquals(List.of(3L), results.stream().map(WindowTotals.Result::views).toList());
        assertEquals(live.drain(), results);
    }

    private static PartialWindows.Update update(int partition, Window window, long views, long version) {
        return new PartialWindows.Update(partition, "page-1", window, views, 1, "exact", 0.0,
                java.math.BigDecimal.ZERO, version);
    }

    private static List<String> run(WindowTotals totals, List<PartialWindows.Update> updates,
                                    List<Object[]> watermarks) {
        updates.forEach(update -> totals.apply(update, 1000 + update.version()));
        for (Object[] watermark : watermarks) {
            totals.watermark((Integer) watermark[0], (Instant) watermark[1], (Boolean) watermark[2]);
        }
        return totals.drain().stream().map(Object::toString).sorted().toList();
    }
}
