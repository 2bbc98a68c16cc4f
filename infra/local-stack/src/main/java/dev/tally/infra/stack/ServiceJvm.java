package dev.tally.infra.stack;

import java.util.List;

/**
 * The JVM options a service runs with, the same under {@code ./tally}, in tests and in benchmarks.
 * aggregator-service holds every open window and session in memory (with exact unique counts, one entry per user,
 * page, window and partition), and a batch of up to about 50,000 records with what it produces: it gets a fixed
 * 2 GiB and the parallel collector, which spends less CPU than G1 on that heap (its young collections pause for
 * about a tenth of a second, far below a batch's commit). With 1 GiB a backlog of 3,000,000 clicks over two hours
 * of 100,000 users and 1,000 pages ran out of heap. The other services hold little and get up to 512 MiB. A service
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
                : List.of("-Xms64m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError");
    }

    private ServiceJvm() {
    }
}
