package dev.tally.infra.stack;

import java.util.List;

/**
 * The JVM options a service runs with, the same under {@code ./tally}, in tests and in benchmarks.
 * aggregator-service holds every open window and session in memory, and a batch of up to about 50,000 records with
 * what it produces: it gets a fixed 1 GiB and the parallel collector, which spends less CPU than G1 on that heap
 * (its young collections pause for longer, about a tenth of a second, far below a batch's commit); the other
 * services hold little and get up to 512 MiB.
 */
public final class ServiceJvm {

    public static List<String> options(String service) {
        return "aggregator-service".equals(service) ? List.of("-Xms1g", "-Xmx1g", "-XX:+UseParallelGC")
                : List.of("-Xms64m", "-Xmx512m");
    }

    private ServiceJvm() {
    }
}
