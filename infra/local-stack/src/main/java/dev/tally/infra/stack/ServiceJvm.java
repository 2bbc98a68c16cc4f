package dev.tally.infra.stack;

import java.util.List;

/**
 * The JVM options a service runs with, the same under {@code ./tally}, in tests and in benchmarks.
 * aggregator-service holds every open window and session in memory, and a batch of up to 10,000 records with what
 * it produces: it gets 1 GiB; the other services hold little and get 512 MiB.
 */
public final class ServiceJvm {

    public static List<String> options(String service) {
        return List.of("-Xms64m", "aggregator-service".equals(service) ? "-Xmx1g" : "-Xmx512m");
    }

    private ServiceJvm() {
    }
}
