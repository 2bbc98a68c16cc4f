package dev.tally.testkit;

import dev.tally.infra.stack.StackInfo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real local stack (Kafka, Artemis, PostgreSQL), started once per test JVM on free ports in a fresh folder,
 * as a child process that the JVM stops on exit and that stops by itself if the JVM dies.
 */
public final class LocalStackProcess {
    private static StackInfo info;
    private static Process process;
    private static final java.util.concurrent.BlockingQueue<String> ANSWERS =
            new java.util.concurrent.LinkedBlockingQueue<>();

    /** Starts the stack on first use and returns where it listens. */
    public static synchronized StackInfo start() {
        if (info != null) {
            return info;
        }
        Path dataDir = Path.of("target", "tally-test-stack").toAbsolutePath();
        try {
            deleteRecursively(dataDir);
            Files.createDirectories(dataDir);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", stackClasspath(), "dev.tally.infra.stack.Tally", "stack",
                    "--data", dataDir.toString(), "--free-ports", "--exit-with-parent"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("TALLY_CLICKS_PARTITIONS", System.getProperty("tally.clicks.partitions", "4"));
            process = builder.start();
            Runtime.getRuntime().addShutdownHook(new Thread(LocalStackProcess::stop, "tally-test-stack-stop"));
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith(StackInfo.READY_PREFIX)) {
                    info = StackInfo.fromJson(line.substring(StackInfo.READY_PREFIX.length()));
                    drain(out);
                    return info;
                }
                seen.append(line).append('\n');
            }
            throw new IllegalStateException("the local stack exited before it was ready:\n" + seen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the local stack", e);
        }
    }

    /** Stops the Kafka broker (keeping its data), to test how a service rides out an outage. */
    public static void stopKafka() {
        command("kafka stop");
    }

    /** Starts the Kafka broker again, on the same port with the same data. */
    public static void startKafka() {
        command("kafka start");
    }

    private static synchronized void command(String command) {
        if (process == null) {
            throw new IllegalStateException("the local stack is not running");
        }
        try {
            ANSWERS.clear();
            process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
            String answer = ANSWERS.poll(120, TimeUnit.SECONDS);
            if (answer == null) {
                throw new IllegalStateException("the local stack did not answer '" + command + "' in 120 s");
            }
            if (!answer.startsWith(StackInfo.COMMAND_DONE)) {
                throw new IllegalStateException("the local stack could not " + command + ": " + answer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the stack: closing its standard input is its signal to shut down cleanly. */
    public static synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        info = null;
    }

    /** The stack's own classes plus the dependency list that its build wrote next to them. */
    public static String stackClasspath() throws IOException {
        URL classFile = StackInfo.class.getResource("StackInfo.class");
        URL listing = StackInfo.class.getResource("/META-INF/tally/local-stack.classpath");
        if (classFile == null || listing == null) {
            throw new IllegalStateException("tally-local-stack is not on the classpath; build it first");
        }
        String location = classFile.toString();
        String root;
        if (location.startsWith("jar:")) {
            root = location.substring("jar:".length(), location.indexOf("!/"));
        } else {
            root = location.substring(0, location.length() - "dev/tally/infra/stack/StackInfo.class".length());
        }
        try {
            String dependencies;
            try (var in = listing.openStream()) {
                dependencies = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            return Paths.get(new URL(root).toURI()) + java.io.File.pathSeparator + dependencies;
        } catch (URISyntaxException e) {
            throw new IllegalStateException("odd classpath location " + root, e);
        }
    }

    private static void drain(BufferedReader out) {
        Thread drainer = new Thread(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    // other lines are in the stack's log folder; answers to commands go to whoever asked
                    if (line.startsWith(StackInfo.COMMAND_DONE) || line.startsWith(StackInfo.COMMAND_FAILED)) {
                        ANSWERS.add(line);
                    }
                }
            } catch (IOException e) {
                // the stack has ended
            }
        }, "tally-test-stack-output");
        drainer.setDaemon(true);
        drainer.start();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private LocalStackProcess() {
    }
}
