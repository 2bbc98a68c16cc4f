package dev.tally.infra.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Stops processes that a previous run left behind when it was killed without a chance to clean up (kill -9 of
 * ./tally): a PostgreSQL server still holding the data folder, or a service still holding its port.
 */
final class ProcessCleanup {

    /** Stops the postmaster named in {@code postmaster.pid} if it still runs. */
    static void stopStalePostgres(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(lines.get(0).trim());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid)
                .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false));
        if (process.isPresent()) {
            Log.info("stopping a PostgreSQL server left running by an earlier run (pid " + pid + ")");
            signal(pid, "INT"); // fast shutdown: roll back open transactions, flush, exit
            waitFor(process.get(), 30);
        }
    }

    /** Stops the process whose pid a previous run wrote to {@code pidFile}, if it is still the same program. */
    static void stopStale(Path pidFile, String commandMarker) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(p -> p.info().commandLine()
                    .map(c -> c.contains(commandMarker)).orElse(false));
            if (process.isPresent()) {
                Log.info("stopping " + pidFile.getFileName() + " left running by an earlier run (pid " + pid + ")");
                process.get().destroy();
                waitFor(process.get(), 20);
            }
        } catch (NumberFormatException e) {
            // not ours
        }
        Files.deleteIfExists(pidFile);
    }

    static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot signal process " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void waitFor(ProcessHandle process, int seconds) {
        try {
            process.onExit().get(seconds, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }

    private ProcessCleanup() {
    }
}
