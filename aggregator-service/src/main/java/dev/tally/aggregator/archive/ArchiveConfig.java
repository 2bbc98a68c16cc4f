package dev.tally.aggregator.archive;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** Where and how the archiver writes {@code clicks} to JSONL files. */
@ConfigMapping(prefix = "tally.archive")
public interface ArchiveConfig {

    /** The folder of the archive; the archiver runs only when it is set ({@code ./tally} sets {@code <data>/archive}). */
    Optional<String> dir();

    /** A file is closed once it holds this many records... */
    @WithDefault("1000000")
    long rotateRecords();

    /** ...or this many bytes... */
    @WithDefault("268435456")
    long rotateBytes();

    /** ...or has been open this long, so that the archive trails the log by at most about this much. */
    @WithDefault("PT1M")
    Duration rotateAfter();

    /** The consumer group of the archivers (files, not this group's offsets, say where each partition is). */
    @WithDefault("tally-archiver")
    String group();
}
