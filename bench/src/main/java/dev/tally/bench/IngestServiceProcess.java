package dev.tally.bench;

import dev.tally.infra.stack.StackInfo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged ingest-service as its own process, the way it runs in production and under ./tally: pointed at the
 * stack through its environment, on a free loopback port, its log in a file. Built first if the jar is missing.
 */
final class IngestServiceProcess implements AutoCloseable {
    /** The write key the benchmark's requests carry. */
    static final String KEY = "bench-key";

    private final Process process;
    private final int port;
    private final Path log;

    private IngestServiceProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static IngestServiceProcess start(Path home, StackInfo stack, String jvmArgs, Path log) throws Exception {
        Path jar = home.resolve("ingest-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            build(home);
        }
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(java("java"));
        command.addAll(Arrays.stream(jvmArgs.split("\\s+")).filter(a -> !a.isBlank()).toList());
        command.addAll(List.of("-jar", jar.toString()));
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(stack.serviceEnvironment());
        builder.environment().put("TALLY_INGEST_KEYS", KEY);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        IngestBenchmark.say("ingest-service: " + String.join(" ", command) + " (port " + port + ", log " + log + ")");
        IngestServiceProcess service = new IngestServiceProcess(builder.start(), port, log);
        try {
            service.awaitReady(Duration.ofSeconds(120));
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    int port() {
        return port;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Starts a JFR recording of the service for {@code duration}, written to {@code file} when it ends. */
    void startRecording(String name, Duration duration, Path file) {
        try {
            Jcmd.run(handle(), "JFR.start", "name=" + name, "settings=profile",
                    "duration=" + duration.toSeconds() + "s", "filename=" + file.toAbsolutePath());
        } catch (IOException e) {
            IngestBenchmark.say("could not start JFR: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitReady(Duration limit) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + limit.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ingest-service exited with " + process.exitValue() + "; see " + log);
            }
            try {
                last = http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (last == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("ingest-service was not ready within " + limit.toSeconds() + " s (last answer "
                + last + "); see " + log);
    }

    /** Stops the service the way an orchestrator would (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void build(Path home) throws IOException, InterruptedException {
        IngestBenchmark.say("ingest-service is not packaged: ./mvnw -q -B package -DskipTests -pl ingest-service -am");
        Process mvn = new ProcessBuilder(home.resolve("mvnw").toString(), "-q", "-B", "package", "-DskipTests",
                "-pl", "ingest-service", "-am").directory(home.toFile()).inheritIO().start();
        if (!mvn.waitFor(20, TimeUnit.MINUTES)) {
            mvn.destroyForcibly();
            throw new IllegalStateException("building ingest-service took more than 20 min");
        }
        if (mvn.exitValue() != 0) {
            throw new IllegalStateException("building ingest-service failed (exit " + mvn.exitValue() + ")");
        }
    }

    private static String java(String tool) {
        return Path.of(System.getProperty("java.home"), "bin", tool).toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
