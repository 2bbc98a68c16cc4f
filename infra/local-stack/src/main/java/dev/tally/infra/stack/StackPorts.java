package dev.tally.infra.stack;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;

/**
 * The loopback ports of the local stack's servers. Defaults are fixed so that a restarted stack is found where it
 * was; each can be moved with an environment variable, and tests ask for free ports instead.
 */
record StackPorts(int kafka, int kafkaController, int amqp, int postgres) {

    static StackPorts fromEnvironment(Map<String, String> env) {
        return new StackPorts(
                port(env, "TALLY_KAFKA_PORT", 29092),
                port(env, "TALLY_KAFKA_CONTROLLER_PORT", 29093),
                port(env, "TALLY_AMQP_PORT", 25672),
                port(env, "TALLY_POSTGRES_PORT", 25432));
    }

    /** Ports the operating system says are free now; for tests that run beside other stacks. */
    static StackPorts free() {
        return new StackPorts(freePort(), freePort(), freePort(), freePort());
    }

    static int port(Map<String, String> env, String name, int defaultPort) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return defaultPort;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a port number, not '" + value + "'");
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on this machine", e);
        }
    }
}
