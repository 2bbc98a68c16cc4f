package dev.tally.infra.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs each service as its own OS process, the way a process supervisor would: output to a log file per service,
 * a pid file, and a restart after a short delay when a process dies that nobody asked to stop.
 */
final class Supervisor implements AutoCloseable {
    private static final Duration RESTART_DELAY = Duration.ofSeconds(2);
    /** The write key of a local run when TALLY_INGEST_KEYS is not set: for a laptop, never for production. */
    static final String DEV_WRITE_KEY = "tally-dev-key";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(4);

    private final Path home;
    private final Path dataDir;
    private final Map<String, String> environment;
    private final Map<ServiceSpec, Integer> ports = new LinkedHashMap<>();
    private final Map<ServiceSpec, Process> running = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile boolean stopping;

    Supervisor(Path home, Path dataDir, Map<String, String> environment) {
        this.home = home;
        this.dataDir = dataDir;
        this.environment = environment;
        for (ServiceSpec spec : ServiceSpec.ALL) {
            ports.put(spec, spec.port(System.getenv()));
        }
    }

    Map<ServiceSpec, Integer> ports() {
        return ports;
    }

    /** Starts every service and waits until each says it is ready. */
    void startAll() throws IOException, InterruptedException {
        Files.createDirectories(dataDir.resolve("run"));
        for (ServiceSpec spec : ServiceSpec.ALL) {
            Path jar = jar(spec);
            if (!Files.exists(jar)) {
                throw new IllegalStateException(jar + " is missing: build with ./mvnw package -DskipTests");
            }
            ProcessCleanup.stopStale(pidFile(spec), "quarkus-run.jar");
        }
        for (ServiceSpec spec : ServiceSpec.ALL) {
            start(spec);
        }
        for (ServiceSpec spec : ServiceSpec.ALL) {
            awaitReady(spec);
        }
    }

    private Path jar(ServiceSpec spec) {
        return home.resolve(spec.name()).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private Path pidFile(ServiceSpec spec) {
        return dataDir.resolve("run").resolve(spec.name() + ".pid");
    }

    private synchronized void start(ServiceSpec spec) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(ChildProcesses.java()));
        command.addAll(ServiceJvm.options(spec.name()));
        command.addAll(List.of("-jar", jar(spec).toString()));
        ProcessBuilder builder = new ProcessBuilder(ChildProcesses.ownSession(command))
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dataDir.resolve("logs").resolve(spec.name() + ".log").toFile()));
        builder.environment().putAll(environment);
        builder.environment().putIfAbsent("TALLY_INGEST_KEYS", DEV_WRITE_KEY);
        if (spec.name().equals("aggregator-service")) {
            // the archiver copies clicks to JSONL files there, for ./tally batch --input
            builder.environment().putIfAbsent("TALLY_ARCHIVE_DIR", dataDir.resolve("archive").toString());
        }
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(ports.get(spec)));
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        Process process = builder.start();
        running.put(spec, process);
        Files.writeString(pidFile(spec), process.pid() + "\n");
        Log.info(spec.name() + " started (pid " + process.pid() + ", port " + ports.get(spec) + ")");
        process.onExit().thenAccept(exited -> onExit(spec, exited));
    }

    private void onExit(ServiceSpec spec, Process exited) {
        if (stopping) {
            return;
        }
        Log.warn(spec.name() + " (pid " + exited.pid() + ") exited with code " + exited.exitValue()
                + "; restarting in " + RESTART_DELAY.toSeconds() + " s, log in "
                + dataDir.resolve("logs").resolve(spec.name() + ".log"));
        try {
            Thread.sleep(RESTART_DELAY.toMillis());
            synchronized (this) {
                if (!stopping && running.get(spec) == exited) {
                    start(spec);
                }
            }
        } catch (IOException e) {
            Log.warn("could not restart " + spec.name() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitReady(ServiceSpec spec) throws InterruptedException {
        URI ready = URI.create("http://127.0.0.1:" + ports.get(spec) + "/q/health/ready");
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(ready)
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    Log.info(spec.name() + " is ready");
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(spec.name() + " was not ready within " + READY_TIMEOUT + ", see "
                + dataDir.resolve("logs").resolve(spec.name() + ".log"));
    }

    /** Stops every service: SIGTERM, so that each shuts down gracefully, then SIGKILL after a grace period. */
    @Override
    public void close() {
        List<Process> processes;
        synchronized (this) {
            stopping = true;
            processes = new ArrayList<>(running.values());
        }
        processes.forEach(Process::destroy);
        for (Process process : processes) {
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ServiceSpec spec : ServiceSpec.ALL) {
            try {
                Files.deleteIfExists(pidFile(spec));
            } catch (IOException e) {
                // harmless: the next run checks the pid before acting on it
            }
        }
        Log.info("services stopped");
    }
}
