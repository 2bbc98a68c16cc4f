package dev.tally.infra.stack;

import java.io.IOException;
import java.io.InputStream;

/**
 * Runs a Kafka broker in its own JVM, tied to its parent by standard input: when the parent closes the pipe (on
 * a clean stop) or dies (even by kill -9), the read ends and the broker shuts down cleanly, so that no broker is
 * left behind holding the stack's ports and data.
 */
public final class KafkaBrokerMain {

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // the parent writes nothing; any byte is ignored
                }
            } catch (IOException e) {
                // a broken pipe means the same as end of input: the parent is gone
            }
            System.exit(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        kafka.Kafka.main(args);
    }

    private KafkaBrokerMain() {
    }
}
