package dev.tally.infra.stack;

import dev.tally.contracts.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka broker in KRaft mode, run as a child JVM with this module's classpath (the broker's
 * logging stack must not meet the parent's), with its log in the stack's folder. Creates Tally's topics.
 */
final class KafkaServer implements AutoCloseable {
    private final Process process;
    private final OutputStream parentLink;
    private final String bootstrap;

    private KafkaServer(Process process, String bootstrap) {
        this.process = process;
        this.parentLink = process.getOutputStream();
        this.bootstrap = bootstrap;
    }

    String bootstrap() {
        return bootstrap;
    }

    static KafkaServer start(Path dataDir, Path logDir, int port, int controllerPort, int clicksPartitions)
            throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        Path logs = dataDir.resolve("data");
        Path properties = dataDir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + logs,
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=8",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.retention.hours=-1",
                "") + "\n");
        Path log4j = dataDir.resolve("log4j2.properties");
        Files.writeString(log4j, String.join("\n",
                "status=warn",
                "appender.file.type=File",
                "appender.file.name=file",
                "appender.file.fileName=" + logDir.resolve("kafka.log"),
                "appender.file.layout.type=PatternLayout",
                "appender.file.layout.pattern=%d{ISO8601} %-5p [%c{1}] %m%n",
                "rootLogger.level=info",
                "rootLogger.appenderRef.file.ref=file",
                "logger.kafka.name=kafka",
                "logger.kafka.level=warn",
                "logger.apache.name=org.apache.kafka",
                "logger.apache.level=warn",
                "") + "\n");

        if (!Files.exists(logs.resolve("meta.properties"))) {
            String clusterId = Uuid.randomUuid().toString();
            Process format = javaProcess(log4j, "kafka.tools.StorageTool", "format", "-t", clusterId,
                    "-c", properties.toString())
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("kafka.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                throw new IllegalStateException("formatting Kafka storage failed, see " + logDir.resolve("kafka.log"));
            }
        }

        Process process = javaProcess(log4j, KafkaBrokerMain.class.getName(), properties.toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("kafka.log").toFile()))
                .redirectErrorStream(true)
                .start();
        KafkaServer server = new KafkaServer(process, "127.0.0.1:" + port);
        server.awaitReady(Duration.ofSeconds(90), logDir);
        server.createTopics(clicksPartitions);
        return server;
    }

    private static ProcessBuilder javaProcess(Path log4j, String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ChildProcesses.java());
        command.add("-Xms256m");
        command.add("-Xmx1g");
        command.add("-XX:+UseG1GC");
        command.add("-Dlog4j2.configurationFile=" + log4j);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        return new ProcessBuilder(ChildProcesses.ownSession(command));
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        return Admin.create(props);
    }

    private void awaitReady(Duration timeout, Path logDir) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        try (Admin admin = admin()) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited with " + process.exitValue()
                            + ", see " + logDir.resolve("kafka.log"));
                }
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the Kafka broker did not come up within " + timeout
                                + ", see " + logDir.resolve("kafka.log"));
                    }
                    Thread.sleep(250);
                }
            }
        }
    }

    private void createTopics(int clicksPartitions) throws InterruptedException {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Topics.Spec spec : Topics.all(clicksPartitions)) {
                if (existing.contains(spec.name())) {
                    continue;
                }
                missing.add(new NewTopic(spec.name(), spec.partitions(), (short) 1).configs(spec.configs()));
            }
            if (!missing.isEmpty()) {
                try {
                    admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("creating topics failed", e.getCause());
                    }
                }
                Log.info("created topics " + missing.stream().map(t -> t.name() + "(" + t.numPartitions() + ")")
                        .toList());
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("listing topics failed", e);
        }
    }

    @Override
    public void close() throws Exception {
        parentLink.close(); // the broker's watchdog sees end of input and shuts the broker down cleanly
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
