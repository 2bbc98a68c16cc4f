package dev.tally.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time of the processes in a run, read from the operating system. On two cores the client, the service and
 * the broker share the machine, so a throughput figure means little without saying who used the CPU: this is how
 * the report shows that the load generator was not the bottleneck.
 */
final class CpuMeter {

    /** CPU time used so far by one process; zero once it has exited. */
    static Duration process(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /** CPU time used so far by a process and everything it started (the stack and its Kafka broker; PostgreSQL detaches from it and is idle here). */
    static Duration tree(ProcessHandle root) {
        try (Stream<ProcessHandle> descendants = root.descendants()) {
            return descendants.map(CpuMeter::process).reduce(process(root), Duration::plus);
        }
    }

    /** Busy and total jiffies of the whole machine from /proc/stat, to say how close it was to saturation. */
    static Optional<long[]> machine() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            long busy = user + nice + system + irq + softirq + steal;
            return Optional.of(new long[] {busy, busy + idle + iowait});
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The share of all cores busy between two {@link #machine()} readings, or NaN. */
    static double machineBusy(Optional<long[]> before, Optional<long[]> after) {
        if (before.isEmpty() || after.isEmpty()) {
            return Double.NaN;
        }
        long total = after.get()[1] - before.get()[1];
        return total <= 0 ? Double.NaN : (after.get()[0] - before.get()[0]) / (double) total;
    }

    /**
     * The highest CPU time seen of a process that will exit on its own: the operating system forgets it at exit,
     * so it is read every quarter of a second while the process runs.
     */
    static final class Watch implements AutoCloseable {
        private final Thread thread;
        private volatile Duration last = Duration.ZERO;

        Watch(ProcessHandle process) {
            thread = new Thread(() -> {
                while (process.isAlive()) {
                    Duration now = process(process);
                    if (now.compareTo(last) > 0) {
                        last = now;
                    }
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-cpu-watch");
            thread.setDaemon(true);
            thread.start();
        }

        Duration last() {
            return last;
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    private CpuMeter() {
    }
}
