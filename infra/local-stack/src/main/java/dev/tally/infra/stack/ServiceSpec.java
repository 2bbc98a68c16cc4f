package dev.tally.infra.stack;

import java.util.List;
import java.util.Map;

/** One of Tally's four services as the supervisor runs it: its module folder and its HTTP port. */
record ServiceSpec(String name, String portVariable, int defaultPort) {

    static final List<ServiceSpec> ALL = List.of(
            new ServiceSpec("ingest-service", "TALLY_INGEST_PORT", 8081),
            new ServiceSpec("aggregator-service", "TALLY_AGGREGATOR_PORT", 8082),
            new ServiceSpec("alerting-service", "TALLY_ALERTING_PORT", 8083),
            new ServiceSpec("view-service", "TALLY_VIEW_PORT", 8080));

    int port(Map<String, String> env) {
        return StackPorts.port(env, portVariable, defaultPort);
    }
}
