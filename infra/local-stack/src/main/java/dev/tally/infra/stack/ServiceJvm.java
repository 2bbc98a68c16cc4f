package dev.tally.infra.stack;

import java.util.List;

/**
 * The JVM options a service runs with, the same under {@code ./tally}, in tests and in benchmarks.
 * aggregator-service holds every open window and session in memory (with exact unique counts, one entry per user,
 * page, window and partition), and a batch of up to about 50,000 records with what it produces: it gets a fixed
 * 2 GiB and the parallel collector, which spends less CPU than G1 on that heap. Its young collections are the
 * largest part of the latency's tail left: at 10,000 clicks/s on a slow hour they paused 37 times in four minutes,
 * 170 ms on average, 510 ms at most; G1 with a 50 ms goal did worse (156 pauses, 11.6 s in all, 376 ms at most),
 * as the state it keeps is a graph of small objects that every batch changes. With 1 GiB a backlog of 3,000,000 clicks over two hours
 * of 100,000 users and 1,000 pages ran out of heap. The other services hold little and get 256 MiB to start with,
 * up to 512 MiB: started at 64 MiB, G1 kept ingest- and view-service's heaps near 130-160 MiB at 10,000 clicks/s and
 * collected every 1.5 s (about 160 young collections in four minutes each); from 256 MiB, half as often. A service
 * that runs out of heap exits (to be started again by {@code ./tally}'s supervisor, or Kubernetes) rather than go on
 * with a thread that died of it.
 * <p>
 * {@code TALLY_JVM_OPTIONS_<SERVICE>} (for example {@code TALLY_JVM_OPTIONS_AGGREGATOR_SERVICE}), when set, replaces
 * a service's options: words separated by spaces.
 */
public final class ServiceJvm {

    public static List<String> options(String service) {
        String override = System.getenv("TALLY_JVM_OPTIONS_" + service.toUpperCase(java.util.Locale.ROOT)
                .replace('-', '_'));
        if (override != null && !override.isBlank()) {
            return List.of(override.trim().split("\\s+"));
        }
        return "aggregator-service".equals(service)
                ? List.of("-Xms2g", "-Xmx2g", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError")
                : List.of("-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError");
    }

    private ServiceJvm() {
    }
}
