package dev.tally.aggregator.domain;

import java.time.Instant;

/** One window of a definition: start inclusive, end exclusive. */
public record Window(String spec, Instant start, Instant end) implements Comparable<Window> {

    @Override
    public int compareTo(Window other) {
        int byStart = start.compareTo(other.start);
        return byStart != 0 ? byStart : spec.compareTo(other.spec);
    }
}
