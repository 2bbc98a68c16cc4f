package dev.tally.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's own ConsumerPerformance over the same {@code clicks} records, as a child JVM with this module's classpath:
 * the ceiling of reading the topic, which the aggregator's events/s is compared with in the same run.
 */
final class ConsumerPerfRun {
    static final String GROUP = "bench-consumer-perf";
    private static final Duration TIME_LIMIT = Duration.ofMinutes(10);

    /**
     * The figures of its result line ({@code start.time, end.time, data.consumed.in.MB, MB.sec,
     * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec}), plus the CPU
     * its JVM used (start-up included).
     */
    record Result(long records, double recordsPerSecond, double mbPerSecond, long rebalanceMs, long fetchMs,
                  double fetchRecordsPerSecond, String line, Duration wall, Duration toolCpu) {
    }

    static Result run(String bootstrap, String topic, long records, Path log) throws IOException, InterruptedException {
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // the heap kafka-consumer-perf-test.sh gives it
                "-Xmx512M",
                "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.ConsumerPerformance",
                "--bootstrap-server", bootstrap, "--topic", topic, "--messages", Long.toString(records),
                "--group", GROUP, "--timeout", "30000");
        AggregatorBenchmark.say("ConsumerPerformance: " + String.join(" ", command.subList(4, command.size())));
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String result = null;
        try (CpuMeter.Watch cpu = new CpuMeter.Watch(process.toHandle());
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log));
             BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                     StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                String[] f = line.split(",\\s*");
                if (f.length == 10 && f[4].trim().matches("\\d+")) {
                    result = line.trim();
                }
            }
            if (!process.waitFor(TIME_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Duration wall = Duration.ofNanos(System.nanoTime() - started);
            if (process.exitValue() != 0 || result == null) {
                throw new IllegalStateException("ConsumerPerformance failed (exit " + process.exitValue()
                        + "); its output is in " + log);
            }
            AggregatorBenchmark.say("  " + result);
            String[] f = result.split(",\\s*");
            return new Result(Long.parseLong(f[4].trim()), Double.parseDouble(f[5].trim()),
                    Double.parseDouble(f[3].trim()), Long.parseLong(f[6].trim()), Long.parseLong(f[7].trim()),
                    Double.parseDouble(f[9].trim()), result, wall, cpu.last());
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    private ConsumerPerfRun() {
    }
}
