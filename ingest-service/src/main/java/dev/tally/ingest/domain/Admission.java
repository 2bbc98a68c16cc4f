package dev.tally.ingest.domain;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides whether a request may start writing to Kafka. Two bounds: the number of records in flight (so that
 * memory stays bounded when Kafka slows down), and, after a failed write, a short pause during which requests are
 * refused at once instead of each waiting for its own timeout; one probe a second tests whether Kafka is back.
 */
public final class Admission {
    private static final long PROBE_INTERVAL_NANOS = 1_000_000_000L;

    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong unavailableSince = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong lastProbe = new AtomicLong(Long.MIN_VALUE);

    public Admission(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    /** Why a request was refused. */
    public enum Refusal { NONE, FULL, LOG_UNAVAILABLE }

    /** Tries to reserve {@code records} places; {@link Refusal#NONE} means reserved, to {@link #release} later. */
    public Refusal tryAcquire(int records, long nowNanos) {
        if (unavailableSince.get() != Long.MIN_VALUE) {
            long last = lastProbe.get();
            if (nowNanos - last < PROBE_INTERVAL_NANOS || !lastProbe.compareAndSet(last, nowNanos)) {
                return Refusal.LOG_UNAVAILABLE;
            }
        }
        while (true) {
            int current = inFlight.get();
            if (current + records > maxInFlight && current > 0) {
                return Refusal.FULL;
            }
            if (inFlight.compareAndSet(current, current + records)) {
                return Refusal.NONE;
            }
        }
    }

    public void release(int records) {
        inFlight.addAndGet(-records);
    }

    /** A write succeeded: Kafka is reachable. */
    public void succeeded() {
        unavailableSince.set(Long.MIN_VALUE);
    }

    /** A write failed or timed out: refuse at once for a while. */
    public void failed(long nowNanos) {
        unavailableSince.compareAndSet(Long.MIN_VALUE, nowNanos);
        lastProbe.set(nowNanos);
    }

    public int inFlight() {
        return inFlight.get();
    }

    public boolean logAvailable() {
        return unavailableSince.get() == Long.MIN_VALUE;
    }
}
