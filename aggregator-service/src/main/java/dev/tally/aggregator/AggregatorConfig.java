package dev.tally.aggregator;

import dev.tally.aggregator.domain.WindowSpec;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** How aggregator-service windows the clicks and keeps its state. */
@ConfigMapping(prefix = "tally.aggregator")
public interface AggregatorConfig {

    /**
     * How long (in processing time) a counted event id is remembered, so that a repeat of it is not counted again;
     * within {@link #dedupMaxIds()}.
     */
    @WithDefault("P1D")
    Duration dedupHorizon();

    /**
     * At most how many counted event ids one clicks partition remembers (about 40 bytes each in memory, 16 in its
     * checkpoint): beyond it the oldest are forgotten before the horizon, and counted in
     * {@code tally_aggregator_dedup_forgotten_early_total}. At 10,000 clicks/s over 8 partitions a million last
     * about 13 minutes.
     */
    @WithDefault("1000000")
    int dedupMaxIds();

    /** How far behind the highest event time of a partition its watermark stays (the allowed out-of-orderness). */
    @WithDefault("PT5S")
    Duration outOfOrderness();

    /** A clicks partition that stage 1 had nothing to read from for this long stops holding windows back. */
    @WithDefault("PT30S")
    Duration idleTimeout();

    /** Distinct users are counted exactly up to this many per page and window, then with an HLL sketch. */
    @WithDefault("10000")
    int exactUniqueLimit();

    /** How long (in event time) a final window is kept to absorb a correction from a partition that was idle. */
    @WithDefault("PT1H")
    Duration finalRetention();

    /** How often each stage-1 partition sends its watermark to stage 2 when nothing else happens. */
    @WithDefault("PT1S")
    Duration heartbeatInterval();

    /** Whether this replica runs the stream engine (off for a replica that only does batch work). */
    @WithName("stream.enabled")
    @WithDefault("true")
    boolean streamEnabled();

    /** At most this many records per poll of a stage's consumer. */
    @WithDefault("10000")
    int maxPollRecords();

    /**
     * At most about this many records per stage and micro-batch (for stage 2, partials: a pack counts as many as it
     * carries): what is read while the previous batch commits goes as one batch, up to this (a poll may add up to
     * {@link #maxPollRecords} records beyond it).
     */
    @WithDefault("50000")
    int maxBatchRecords();

    /**
     * How stage 1 writes its packs of partials: {@code binary}, or {@code json} as versions before 2026-11-25 wrote
     * and read them. Every version since reads both; {@code json} is for a rolling upgrade from (or a rollback to) an
     * earlier version, whose stage 2 would skip a binary pack as unreadable.
     */
    @WithDefault("binary")
    PackFormat packFormat();

    /** See {@link #packFormat()}. */
    enum PackFormat {
        BINARY, JSON
    }

    /** How long after a replay's switch the old view version's state and topics are dropped. */
    @WithDefault("PT10S")
    Duration retiredDropAfter();

    /** The window definitions, by name. */
    Map<String, Window> windows();

    /** One window definition (see the README's "Windows"). */
    interface Window {
        /** tumbling, hopping, sliding or session. */
        String kind();

        /** The length of a window (not for sessions). */
        Optional<Duration> size();

        /** How far apart hopping windows start; the resolution of a sliding window (default 1 s). */
        Optional<Duration> advance();

        /** For sessions: the inactivity that ends a session. */
        Optional<Duration> gap();

        /** How long after its end a window still takes late events (as corrections). */
        @WithDefault("PT0S")
        Duration grace();

        /** What the windows group events by: page_id (the default), user_id, type, or attrs.<name>. */
        Optional<String> groupBy();

        /** on-update (every change, final=false until final) or final (only the final result). */
        @WithDefault("on-update")
        String emit();
    }

    /** The window definitions as the engine uses them; a bad definition stops the service with its reason. */
    default List<WindowSpec> windowSpecs() {
        List<WindowSpec> specs = new ArrayList<>();
        windows().forEach((name, w) -> {
            WindowSpec.Kind kind;
            try {
                kind = WindowSpec.Kind.valueOf(w.kind().trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tally.aggregator.windows." + name + ".kind must be tumbling, "
                        + "hopping, sliding or session, not '" + w.kind() + "'");
            }
            WindowSpec.EmitPolicy emit = switch (w.emit().trim().toLowerCase(Locale.ROOT)) {
                case "on-update" -> WindowSpec.EmitPolicy.ON_UPDATE;
                case "final" -> WindowSpec.EmitPolicy.FINAL;
                default -> throw new IllegalArgumentException("tally.aggregator.windows." + name
                        + ".emit must be on-update or final, not '" + w.emit() + "'");
            };
            specs.add(new WindowSpec(name, kind, w.size().orElse(null), w.advance().orElse(null),
                    w.gap().orElse(null), w.grace(), emit, w.groupBy().orElse(null)));
        });
        specs.sort(java.util.Comparator.comparing(WindowSpec::name));
        return specs;
    }
}
