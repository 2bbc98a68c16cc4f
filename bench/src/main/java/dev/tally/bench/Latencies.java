package dev.tally.bench;

import java.util.Arrays;

/**
 * Every request latency of one measured window, in microseconds. A window holds at most a few hundred thousand
 * requests, so keeping them all and sorting once is exact and cheaper than a histogram library on the classpath.
 * Confined to the load generator's event-loop thread until the window is over.
 */
final class Latencies {
    private long[] micros = new long[1 << 14];
    private int size;

    void add(long nanos) {
        if (size == micros.length) {
            micros = Arrays.copyOf(micros, size * 2);
        }
        micros[size++] = nanos / 1_000;
    }

    int count() {
        return size;
    }

    /** Summary of what was recorded; NaN figures when nothing was. */
    Summary summary() {
        long[] sorted = Arrays.copyOf(micros, size);
        Arrays.sort(sorted);
        return new Summary(size, percentile(sorted, 0.50), percentile(sorted, 0.99),
                size == 0 ? Double.NaN : sorted[size - 1] / 1000.0);
    }

    /** The nearest-rank percentile {@code p} (0 to 1) of what was recorded, in milliseconds; NaN if nothing was. */
    double percentileMs(double p) {
        long[] sorted = Arrays.copyOf(micros, size);
        Arrays.sort(sorted);
        return percentile(sorted, p);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(rank, sorted.length - 1))] / 1000.0;
    }

    /** Latencies in milliseconds. */
    record Summary(int count, double p50Ms, double p99Ms, double maxMs) {
    }
}
