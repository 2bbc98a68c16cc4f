package dev.tally.contracts;

import java.util.List;

/**
 * Kafka topic names and how each topic is laid out. The local stack creates exactly these topics; services name
 * them in their {@code application.properties} through these constants' values.
 */
public final class Topics {
    /** The system of record: every accepted click, keyed by {@code user_id}. Retention unlimited. */
    public static final String CLICKS = "clicks";
    /** Bad rows: the raw input of every rejected event and why it was rejected. */
    public static final String CLICKS_INVALID = "clicks.invalid";
    /** Events that arrived past a window's allowed lateness; the batch layer still counts them. */
    public static final String CLICKS_LATE = "clicks.late";
    /** The shuffle between stage 1 (by user) and stage 2 (by page). */
    public static final String PAGE_PARTIALS = "page-partials";
    /** Totals per page and window ({@link WindowResult}), keyed by {@code page_id/window}; compacted. */
    public static final String PAGE_STATS = "page-stats";
    /**
     * Totals per group and window for window definitions grouped by another key than the page ({@link WindowResult}
     * with {@code group_by} and {@code group}), keyed by {@code group_by=group/window}; compacted.
     */
    public static final String GROUP_STATS = "group-stats";
    /** Session windows per user. */
    public static final String SESSIONS = "sessions";
    /** The batch view: daily summaries per page, keyed by {@code page_id/date}; compacted. */
    public static final String PAGE_SUMMARIES = "page-summaries";
    /** Alert transitions (firing, resolved), keyed by alert fingerprint. */
    public static final String ALERTS = "alerts";
    /**
     * The control topic of the stream views' versions ({@link ViewVersionChange}), keyed by version; compacted. A
     * Kappa replay announces here that a new version is being built, that readers switch to it, and that the old
     * one is retired.
     */
    public static final String VIEW_VERSIONS = "view-versions";

    /**
     * What the stream engine writes: each view version has its own copy of these topics, named
     * {@link ViewVersions#topic}; version 1 has the plain names.
     */
    public static final List<String> VERSIONED = List.of(PAGE_PARTIALS, PAGE_STATS, GROUP_STATS, SESSIONS,
            CLICKS_LATE);

    /** Partition count of {@link #CLICKS} unless the stack is told otherwise: the unit of parallelism. */
    public static final int DEFAULT_CLICKS_PARTITIONS = 8;

    /** How a topic is created: its name, partition count, and whether it keeps only the latest value per key. */
    public record Spec(String name, int partitions, boolean compacted, boolean unlimitedRetention) {

        /** The topic's configuration as Kafka names it (cleanup.policy, and retention when unlimited). */
        public java.util.Map<String, String> configs() {
            java.util.Map<String, String> configs = new java.util.HashMap<>();
            configs.put("cleanup.policy", compacted ? "compact" : "delete");
            if (unlimitedRetention) {
                configs.put("retention.ms", "-1");
                configs.put("retention.bytes", "-1");
            }
            return configs;
        }
    }

    /** Every topic Tally uses, with {@code clicksPartitions} partitions for the keyed ones. */
    public static List<Spec> all(int clicksPartitions) {
        return List.of(
                new Spec(CLICKS, clicksPartitions, false, true),
                new Spec(CLICKS_INVALID, 1, false, true),
                new Spec(CLICKS_LATE, clicksPartitions, false, true),
                new Spec(PAGE_PARTIALS, clicksPartitions, false, false),
                new Spec(PAGE_STATS, clicksPartitions, true, false),
                new Spec(GROUP_STATS, clicksPartitions, true, false),
                new Spec(SESSIONS, clicksPartitions, false, false),
                new Spec(PAGE_SUMMARIES, clicksPartitions, true, false),
                new Spec(ALERTS, 1, false, true),
                new Spec(VIEW_VERSIONS, 1, true, true));
    }

    /** The topics of view version {@code version}: {@link #VERSIONED}, laid out like version 1's. */
    public static List<Spec> ofVersion(int version, int clicksPartitions) {
        return all(clicksPartitions).stream().filter(spec -> VERSIONED.contains(spec.name()))
                .map(spec -> new Spec(ViewVersions.topic(spec.name(), version), spec.partitions(), spec.compacted(),
                        spec.unlimitedRetention()))
                .toList();
    }

    private Topics() {
    }
}
