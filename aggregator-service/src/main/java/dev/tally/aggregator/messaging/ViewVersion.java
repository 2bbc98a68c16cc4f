package dev.tally.aggregator.messaging;

import dev.tally.contracts.Topics;
import dev.tally.contracts.ViewVersions;

/**
 * One version of the stream views as the engine runs it: the names its checkpoints are stored under, its consumer
 * groups and the topics it writes. Version 1 keeps the names the engine had before versions existed, so that a
 * running installation's state stays valid.
 */
public record ViewVersion(int number) {

    public ViewVersion {
        if (number < ViewVersions.FIRST) {
            throw new IllegalArgumentException("view versions start at " + ViewVersions.FIRST + ", not " + number);
        }
    }

    /** The stage's name in the checkpoint and outbox tables: {@code stage1}, or {@code v2.stage1}. */
    String stage(String stage) {
        return number == ViewVersions.FIRST ? stage : "v" + number + "." + stage;
    }

    /** The consumer group of a stage: {@code tally-aggregator}, or {@code tally-aggregator.v2}. */
    String group(String base) {
        return number == ViewVersions.FIRST ? base : base + ".v" + number;
    }

    /** The name of a derived topic (one of {@link Topics#VERSIONED}) in this version. */
    String topic(String base) {
        return ViewVersions.topic(base, number);
    }

    String pagePartials() {
        return topic(Topics.PAGE_PARTIALS);
    }

    /** The value of the {@code view_version} tag of this version's metrics. */
    String tag() {
        return Integer.toString(number);
    }
}
