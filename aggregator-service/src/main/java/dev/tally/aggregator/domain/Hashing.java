package dev.tally.aggregator.domain;

import java.time.Instant;

/**
 * Hash codes for the keys of a window's state. A record's own hash code combines its parts linearly, so
 * {@code page-12} at 10:01 and {@code page-13} at 10:00 can collide; with thousands of pages and windows, buckets
 * grew into trees and lookups took a tenth of the time. The parts are mixed instead (the finalizer of MurmurHash3).
 */
final class Hashing {

    static int mix(String spec, String group, Instant start) {
        long h = spec.hashCode() * 0x9E3779B97F4A7C15L;
        h = (h ^ group.hashCode()) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ start.getEpochSecond()) * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h;
    }

    private Hashing() {
    }
}
