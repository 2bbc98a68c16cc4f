package dev.tally.infra.stack;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a running local stack listens: printed on the ready line, written to {@code stack.json} in the data
 * folder, and turned into the environment of each service.
 */
public record StackInfo(String kafkaBootstrap, String amqpHost, int amqpPort, String postgresHost, int postgresPort,
                        String database, String user) {

    /** The prefix of the line that the stack prints once every server is ready. */
    public static final String READY_PREFIX = "TALLY-STACK-READY ";
    /** The prefix of the line answering a command on standard input that succeeded. */
    public static final String COMMAND_DONE = "TALLY-STACK-DONE ";
    /** The prefix of the line answering a command on standard input that failed. */
    public static final String COMMAND_FAILED = "TALLY-STACK-FAILED ";

    public String reactiveUrl() {
        return "postgresql://" + postgresHost + ":" + postgresPort + "/" + database;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + postgresHost + ":" + postgresPort + "/" + database;
    }

    /** The environment variables that point a Quarkus service at this stack. */
    public Map<String, String> serviceEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap);
        env.put("AMQP_HOST", amqpHost);
        env.put("AMQP_PORT", Integer.toString(amqpPort));
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", reactiveUrl());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", user);
        env.put("QUARKUS_DATASOURCE_PASSWORD", "");
        return env;
    }

    /** The Quarkus configuration properties that point a test at this stack. */
    public Map<String, String> quarkusProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("kafka.bootstrap.servers", kafkaBootstrap);
        props.put("amqp-host", amqpHost);
        props.put("amqp-port", Integer.toString(amqpPort));
        props.put("quarkus.datasource.reactive.url", reactiveUrl());
        props.put("quarkus.datasource.jdbc.url", jdbcUrl());
        props.put("quarkus.datasource.username", user);
        props.put("quarkus.datasource.password", "");
        return props;
    }

    public String toJson() {
        return "{\"kafka_bootstrap\":\"" + kafkaBootstrap + "\",\"amqp_host\":\"" + amqpHost + "\",\"amqp_port\":"
                + amqpPort + ",\"postgres_host\":\"" + postgresHost + "\",\"postgres_port\":" + postgresPort
                + ",\"database\":\"" + database + "\",\"user\":\"" + user + "\"}";
    }

    /** Reads what {@link #toJson()} wrote; the format is ours and flat, so no JSON library is needed. */
    public static StackInfo fromJson(String json) {
        return new StackInfo(field(json, "kafka_bootstrap"), field(json, "amqp_host"),
                Integer.parseInt(field(json, "amqp_port")), field(json, "postgres_host"),
                Integer.parseInt(field(json, "postgres_port")), field(json, "database"), field(json, "user"));
    }

    private static String field(String json, String name) {
        String marker = "\"" + name + "\":";
        int at = json.indexOf(marker);
        if (at < 0) {
            throw new IllegalArgumentException("stack info has no field " + name + ": " + json);
        }
        int start = at + marker.length();
        if (json.charAt(start) == '"') {
            return json.substring(start + 1, json.indexOf('"', start + 1));
        }
        int end = start;
        while (end < json.length() && Character.isDigit(json.charAt(end))) {
            end++;
        }
        return json.substring(start, end);
    }
}
