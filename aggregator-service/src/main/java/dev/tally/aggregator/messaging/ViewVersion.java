package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersions;

import java.util.HashMap;
import java.util.Map;

/**
 * One version of the stream views as the engine runs it: the names its checkpoints are stored under, its consumer
 * groups and the topics it writes. Version 1 keeps the names the engine had before versions existed, so that a
 * running installation's state stays valid.
 */
public final class ViewVersion {
    private final int number;
    /** The names of {@link Topics#VERSIONED} in this version, computed once: they are named for every record. */
    private final Map<String, String> topics = new HashMap<>();

    /** Refuses a number below {@link ViewVersions#FIRST}, as naming its topics does. */
    public ViewVersion(int number) {
        this.number = number;
        Topics.VERSIONED.forEach(base -> topics.put(base, ViewVersions.topic(base, number)));
    }

    public int number() {
        return number;
    }

    /** The stage's name in the checkpoint and outbox tables: {@code stage1}, or {@code v2.stage1}. */
    String stage(String stage) {
        return number == ViewVersions.FIRST ? stage : "v" + number + "." + stage;
    }

    /** The consumer group of a stage: {@code tally-aggregator}, or {@code tally-aggregator.v2}. */
    String group(String base) {
        return ViewVersions.topic(base, number); // named as the topics are
    }

    /** The name of a derived topic (one of {@link Topics#VERSIONED}) in this version. */
    String topic(String base) {
        String name = topics.get(base);
        if (name == null) {
            throw new IllegalArgumentException(base + " is not a topic of a view version");
        }
        return name;
    }

    String pagePartials() {
        return topic(Topics.PAGE_PARTIALS);
    }

    /** The value of the {@code view_version} tag of this version's metrics. */
    String tag() {
        return Integer.toString(number);
    }

    @Override
    public String toString() {
        return "view version " + number;
    }
}
