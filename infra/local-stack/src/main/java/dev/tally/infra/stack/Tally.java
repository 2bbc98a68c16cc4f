package dev.tally.infra.stack;

import dev.tally.contracts.Topics;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The engine of the {@code ./tally} command.
 * <ul>
 *   <li>{@code up}: starts the local stack, then the four services, and supervises them until stopped;</li>
 *   <li>{@code stack}: starts only the local stack (the test kit runs this), and prints one ready line.</li>
 * </ul>
 * Options: {@code --data DIR} (default {@code .tally}), {@code --home DIR} (the checkout, default the working
 * folder), {@code --free-ports} (pick free ports for the brokers instead of the fixed defaults),
 * {@code --exit-with-parent} (stop when standard input ends, so that a dying parent leaves nothing behind).
 */
public final class Tally {

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !(args[0].equals("up") || args[0].equals("stack"))) {
            System.err.println("usage: tally up|stack [--data DIR] [--home DIR] [--free-ports] [--exit-with-parent]");
            System.exit(2);
        }
        Path dataDir = Path.of(option(args, "--data", ".tally")).toAbsolutePath();
        Path home = Path.of(option(args, "--home", ".")).toAbsolutePath().normalize();
        boolean freePorts = java.util.Arrays.asList(args).contains("--free-ports");
        Map<String, String> env = System.getenv();
        StackPorts ports = freePorts ? StackPorts.free() : StackPorts.fromEnvironment(env);
        int clicksPartitions = StackPorts.port(env, "TALLY_CLICKS_PARTITIONS", Topics.DEFAULT_CLICKS_PARTITIONS);

        Files.createDirectories(dataDir);
        FileLock lock = lock(dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        LocalStack stack = LocalStack.start(dataDir, ports, clicksPartitions);
        Supervisor supervisor = args[0].equals("up") ? new Supervisor(home, dataDir, stack.info().serviceEnvironment())
                : null;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Log.info("stopping");
            if (supervisor != null) {
                supervisor.close();
            }
            stack.close();
            try {
                lock.release();
            } catch (IOException e) {
                // the process is ending; the OS releases the lock anyway
            }
            stopped.countDown();
        }, "tally-shutdown"));

        if (supervisor != null) {
            try {
                supervisor.startAll();
            } catch (Exception e) {
                Log.warn(e.getMessage());
                System.exit(1);
            }
            printUrls(supervisor.ports());
        }
        System.out.println(StackInfo.READY_PREFIX + stack.info().toJson());
        System.out.flush();
        if (java.util.Arrays.asList(args).contains("--exit-with-parent")) {
            obeyStandardInput(stack);
        }
        stopped.await();
    }

    /**
     * For a parent that may die without stopping us (a test JVM): its end closes our standard input, and we stop.
     * Until then the parent may send commands, one per line, each answered by one line on standard output:
     * {@code kafka stop} and {@code kafka start}, to test how services ride out a broker outage.
     */
    private static void obeyStandardInput(LocalStack stack) {
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    String command = line.trim();
                    try {
                        switch (command) {
                            case "kafka stop" -> stack.stopKafka();
                            case "kafka start" -> stack.startKafka();
                            default -> throw new IllegalArgumentException("unknown command");
                        }
                        System.out.println(StackInfo.COMMAND_DONE + command);
                    } catch (Exception e) {
                        System.out.println(StackInfo.COMMAND_FAILED + command + ": " + e.getMessage());
                    }
                    System.out.flush();
                }
            } catch (IOException e) {
                // a broken pipe means the parent is gone, too
            }
            System.exit(0);
        }, "parent-commands");
        reader.setDaemon(true);
        reader.start();
    }

    private static void printUrls(Map<ServiceSpec, Integer> ports) {
        StringBuilder text = new StringBuilder("\n  Tally is up. Press Ctrl-C to stop.\n\n");
        for (Map.Entry<ServiceSpec, Integer> entry : ports.entrySet()) {
            text.append(String.format("  %-19s http://127.0.0.1:%d%n", entry.getKey().name(), entry.getValue()));
        }
        text.append("\n  Dashboard:          http://127.0.0.1:").append(ports.get(ServiceSpec.ALL.get(3))).append("/\n");
        String keys = System.getenv("TALLY_INGEST_KEYS");
        text.append("  Write key:          ").append(keys == null || keys.isBlank()
                ? Supervisor.DEV_WRITE_KEY + "   (local only; set TALLY_INGEST_KEYS for your own)"
                : "from TALLY_INGEST_KEYS").append("\n");
        System.out.println(text);
    }

    private static FileLock lock(Path dataDir) throws IOException {
        FileChannel channel = FileChannel.open(dataDir.resolve("tally.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            System.err.println("another Tally is running on " + dataDir + " (stop it with ./tally down or Ctrl-C)");
            System.exit(1);
        }
        return lock;
    }

    private static String option(String[] args, String name, String defaultValue) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return defaultValue;
    }

    private Tally() {
    }
}
