package dev.tally.system;

import dev.tally.infra.stack.StackInfo;
import dev.tally.testkit.LocalStackProcess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The whole of Tally as an operator runs it: {@code Tally up} (brokers, then the four packaged services, each its
 * own OS process under a supervisor that restarts what dies) as a child of the test JVM. It exists so that a
 * system test can reach every service over HTTP, kill one the hard way, and, when something goes wrong, say what
 * the supervisor printed and what each service logged.
 */
final class RunningTally implements AutoCloseable {
    static final String INGEST = "ingest-service";
    static final String AGGREGATOR = "aggregator-service";
    static final String ALERTING = "alerting-service";
    static final String VIEW = "view-service";
    static final List<String> SERVICES = List.of(INGEST, AGGREGATOR, ALERTING, VIEW);

    private static final Map<String, String> PORT_VARIABLES = Map.of(
            INGEST, "TALLY_INGEST_PORT",
            AGGREGATOR, "TALLY_AGGREGATOR_PORT",
            ALERTING, "TALLY_ALERTING_PORT",
            VIEW, "TALLY_VIEW_PORT");
    private static final int KEPT_OUTPUT_LINES = 400;

    private final Process process;
    private final Path dataDir;
    private final Map<String, Integer> ports;
    private final Deque<String> output = new ArrayDeque<>();
    private final CompletableFuture<StackInfo> ready = new CompletableFuture<>();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    private RunningTally(Process process, Path dataDir, Map<String, Integer> ports) {
        this.process = process;
        this.dataDir = dataDir;
        this.ports = ports;
    }

    /**
     * Starts Tally on free ports with its data in {@code dataDir} (emptied first) and waits until the supervisor
     * says that every service is ready.
     *
     * @param environment extra environment of the stack and hence of every service (alert rules, partitions)
     */
    static RunningTally start(Path home, Path dataDir, Map<String, String> environment, Duration timeout) {
        for (String service : SERVICES) {
            Path jar = home.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: package the services first (./mvnw verify "
                        + "from the root builds them before this module)");
            }
        }
        Map<String, Integer> ports = freePorts(SERVICES);
        Process process;
        try {
            deleteRecursively(dataDir);
            Files.createDirectories(dataDir);
            List<String> command = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", LocalStackProcess.stackClasspath(), "dev.tally.infra.stack.Tally", "up",
                    "--data", dataDir.toString(), "--home", home.toString(), "--free-ports", "--exit-with-parent");
            ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
            builder.environment().putAll(environment);
            ports.forEach((service, port) -> builder.environment().put(PORT_VARIABLES.get(service),
                    Integer.toString(port)));
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Tally", e);
        }
        RunningTally tally = new RunningTally(process, dataDir, ports);
        tally.readOutput();
        try {
            tally.ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return tally;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tally.close();
            throw new IllegalStateException("interrupted while Tally was starting", e);
        } catch (ExecutionException | TimeoutException e) {
            String why = e instanceof TimeoutException ? "was not ready within " + timeout
                    : e.getCause().getMessage();
            String diagnostics = tally.diagnostics();
            tally.close();
            throw new IllegalStateException("Tally " + why + "\n" + diagnostics);
        }
    }

    /** The HTTP base URL of {@code service}, on 127.0.0.1. */
    URI url(String service) {
        return URI.create("http://127.0.0.1:" + ports.get(service));
    }

    /** Where the brokers listen, as the stack announced on its ready line. */
    StackInfo stack() {
        return ready.join();
    }

    /** The pid that the supervisor last wrote for {@code service}, if the file is there and complete. */
    Optional<Long> pid(String service) {
        Path file = dataDir.resolve("run").resolve(service + ".pid");
        try {
            String text = Files.readString(file).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // not written yet, or being rewritten by a restart
        }
    }

    /**
     * Kills {@code service} with SIGKILL: no shutdown hook, no flush, no goodbye to Kafka or PostgreSQL, the way
     * a crash or the kernel's OOM killer ends a process. Returns the pid it killed once that process is gone.
     */
    long kill9(String service) {
        long pid = pid(service).orElseThrow(() -> new AssertionError("no pid file for " + service));
        ProcessHandle victim = ProcessHandle.of(pid)
                .filter(p -> p.info().commandLine().map(c -> c.contains("quarkus-run.jar")).orElse(false))
                .orElseThrow(() -> new AssertionError(service + " (pid " + pid + ") is not running\n" + diagnostics()));
        victim.destroyForcibly();
        try {
            victim.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(service + " (pid " + pid + ") survived SIGKILL for 10 s");
        }
        return pid;
    }

    /** Whether {@code service} answers 200 on {@code /q/health/ready} now. */
    boolean isReady(String service) {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(url(service).resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The sum of every series of the Prometheus metric {@code name} that {@code service} exposes at
     * {@code /q/metrics} now, or 0 if it does not answer or has no such series yet.
     */
    double metric(String service, String name) {
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(url(service).resolve("/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        if (response.statusCode() != 200) {
            return 0;
        }
        double sum = 0;
        for (String line : response.body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                try {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } catch (NumberFormatException e) {
                    // NaN and friends: nothing counted
                }
            }
        }
        return sum;
    }

    /** Whether the supervisor has replaced the process {@code oldPid} of {@code service} by one that is ready. */
    boolean restartedAndReady(String service, long oldPid) {
        Optional<Long> pid = pid(service);
        return pid.isPresent() && pid.get() != oldPid && ProcessHandle.of(pid.get()).map(ProcessHandle::isAlive)
                .orElse(false) && isReady(service);
    }

    /** What a person debugging a failure wants first: the supervisor's recent output and each service's log tail. */
    String diagnostics() {
        StringBuilder text = new StringBuilder("--- Tally output (last lines) ---\n");
        synchronized (output) {
            output.forEach(line -> text.append(line).append('\n'));
        }
        for (String service : SERVICES) {
            Path log = dataDir.resolve("logs").resolve(service + ".log");
            text.append("--- ").append(log).append(" (tail) ---\n");
            for (String line : tail(log, 25)) {
                text.append(line.length() > 600 ? line.substring(0, 600) + "..." : line).append('\n');
            }
        }
        return text.toString();
    }

    /** The supervisor's lines seen so far that mention {@code text}, for example restarts of a service. */
    List<String> outputLinesContaining(String text) {
        synchronized (output) {
            return output.stream().filter(line -> line.contains(text)).toList();
        }
    }

    /**
     * Stops Tally: closing its standard input is its signal to stop the services and then the brokers cleanly.
     * If it does not, it is killed, and so are the services whose pids it wrote, so that none keeps running.
     */
    @Override
    public void close() {
        Map<String, Long> pids = new LinkedHashMap<>();
        SERVICES.forEach(service -> pid(service).ifPresent(pid -> pids.put(service, pid)));
        try {
            process.getOutputStream().close();
            if (process.waitFor(60, TimeUnit.SECONDS)) {
                return;
            }
        } catch (IOException e) {
            // the pipe is already broken: fall through to the forced stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
        pids.values().forEach(pid -> ProcessHandle.of(pid)
                .filter(p -> p.info().commandLine().map(c -> c.contains("quarkus-run.jar")).orElse(false))
                .ifPresent(ProcessHandle::destroyForcibly));
    }

    /** Reads Tally's output for as long as it runs: it must be drained, and its lines explain failures. */
    private void readOutput() {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!ready.isDone() && line.startsWith(StackInfo.READY_PREFIX)) {
                        ready.complete(StackInfo.fromJson(line.substring(StackInfo.READY_PREFIX.length())));
                    }
                    synchronized (output) {
                        output.addLast(line);
                        if (output.size() > KEPT_OUTPUT_LINES) {
                            output.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                // the process has ended
            }
            ready.completeExceptionally(new IllegalStateException("exited before it was ready"));
        }, "tally-output");
        reader.setDaemon(true);
        reader.start();
    }

    private static Map<String, Integer> freePorts(List<String> services) {
        // hold every socket until all are chosen, so that no two services get the same port
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String service : services) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports.put(service, socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing a listening socket that nobody used does not fail in practice
                }
            }
        }
    }

    private static List<String> tail(Path file, int lines) {
        if (!Files.exists(file)) {
            return List.of("(no log)");
        }
        try (Stream<String> all = Files.lines(file, StandardCharsets.UTF_8)) {
            Deque<String> last = new ArrayDeque<>();
            all.forEach(line -> {
                last.addLast(line);
                if (last.size() > lines) {
                    last.removeFirst();
                }
            });
            return List.copyOf(last);
        } catch (IOException | UncheckedIOException e) {
            return List.of("(cannot read: " + e.getMessage() + ")");
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** How long {@code since} was, for messages. */
    static String secondsSince(Instant since) {
        return String.format("%.1f s", Duration.between(since, Instant.now()).toMillis() / 1000.0);
    }
}
