package dev.tally.infra.stack;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The three real servers Tally runs on, started in dependency order from one data folder and stopped in reverse.
 */
final class LocalStack implements AutoCloseable {
    private final PostgresServer postgres;
    private final ArtemisServer artemis;
    private final Path dataDir;
    private final StackPorts ports;
    private final int clicksPartitions;
    private final StackInfo info;
    private KafkaServer kafka;

    private LocalStack(PostgresServer postgres, ArtemisServer artemis, KafkaServer kafka, StackInfo info,
                       Path dataDir, StackPorts ports, int clicksPartitions) {
        this.postgres = postgres;
        this.artemis = artemis;
        this.kafka = kafka;
        this.info = info;
        this.dataDir = dataDir;
        this.ports = ports;
        this.clicksPartitions = clicksPartitions;
    }

    /** Stops the Kafka broker, keeping its data: tests use this to see how services cope with an outage. */
    synchronized void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
            kafka = null;
            Log.info("Kafka stopped on request");
        }
    }

    /** Starts the Kafka broker again on the same port with the same data. */
    synchronized void startKafka() throws Exception {
        if (kafka == null) {
            kafka = KafkaServer.start(dataDir.resolve("kafka"), dataDir.resolve("logs"), ports.kafka(),
                    ports.kafkaController(), clicksPartitions);
            Log.info("Kafka started again on " + kafka.bootstrap());
        }
    }

    StackInfo info() {
        return info;
    }

    static LocalStack start(Path dataDir, StackPorts ports, int clicksPartitions) throws Exception {
        Path logDir = Files.createDirectories(dataDir.resolve("logs"));
        long started = System.nanoTime();
        PostgresServer postgres = PostgresServer.start(dataDir.resolve("postgres"), ports.postgres());
        Log.info("PostgreSQL is up on 127.0.0.1:" + ports.postgres());
        ArtemisServer artemis = null;
        try {
            artemis = ArtemisServer.start(dataDir.resolve("artemis"), ports.amqp());
            Log.info("Artemis (AMQP 1.0) is up on 127.0.0.1:" + ports.amqp());
            KafkaServer kafka = KafkaServer.start(dataDir.resolve("kafka"), logDir, ports.kafka(),
                    ports.kafkaController(), clicksPartitions);
            Log.info("Kafka (KRaft) is up on " + kafka.bootstrap());
            StackInfo info = new StackInfo(kafka.bootstrap(), "127.0.0.1", ports.amqp(), "127.0.0.1",
                    ports.postgres(), PostgresServer.DATABASE, PostgresServer.USER);
            Files.writeString(dataDir.resolve("stack.json"), info.toJson() + "\n");
            Log.info(String.format("local stack ready in %.1f s (data in %s)",
                    (System.nanoTime() - started) / 1e9, dataDir));
            return new LocalStack(postgres, artemis, kafka, info, dataDir, ports, clicksPartitions);
        } catch (Exception e) {
            if (artemis != null) {
                artemis.close();
            }
            postgres.close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (kafka != null) {
            closeQuietly("Kafka", kafka);
        }
        closeQuietly("Artemis", artemis);
        closeQuietly("PostgreSQL", postgres);
    }

    private static void closeQuietly(String name, AutoCloseable server) {
        try {
            server.close();
            Log.info(name + " stopped");
        } catch (Exception e) {
            Log.warn(name + " did not stop cleanly: " + e);
        }
    }
}
