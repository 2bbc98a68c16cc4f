package dev.tally.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka's own ProducerPerformance against the same broker, as a child JVM with this module's classpath: the ceiling
 * that the batch endpoint is compared with. It runs in the same run as the ingest load, because figures from two
 * runs on a shared two-core machine differ by a factor of two (TOOLCHAIN.md saw 141,000 and 299,000 records/s).
 */
final class ProducerPerfRun {
    /** The producer settings of the reference; ingest-service's clicks channel uses the same ones. */
    static final List<String> PRODUCER_PROPS = List.of("acks=all", "linger.ms=5", "batch.size=65536",
            "enable.idempotence=true");

    // "1000000 records sent, 299000.1 records/sec (57.03 MB/sec), 5.12 ms avg latency, 210.00 ms max latency,
    //  3 ms 50th, 12 ms 95th, 40 ms 99th, 190 ms 99.9th."
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) "
            + "MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) "
            + "ms 99th, (\\d+) ms 99\\.9th");
    private static final Duration TIME_LIMIT = Duration.ofMinutes(10);

    /** The figures of the final summary line, plus the CPU the tool and the stack used meanwhile. */
    record Result(long records, double recordsPerSecond, double mbPerSecond, double avgLatencyMs,
                  double maxLatencyMs, double p50Ms, double p95Ms, double p99Ms, double p999Ms, String summaryLine,
                  Duration wall, Duration toolCpu, Duration stackCpu, double machineBusy) {
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
    }

    static Result run(String bootstrap, String topic, long records, int recordBytes, Path log,
                      ProcessHandle stack) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // the heap kafka-producer-perf-test.sh gives it
                "-Xmx512M",
                "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic", topic, "--num-records", Long.toString(records), "--record-size",
                Integer.toString(recordBytes), "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + bootstrap));
        command.addAll(PRODUCER_PROPS);
        IngestBenchmark.say("ProducerPerformance: " + String.join(" ", command.subList(5, command.size())));
        Duration stackBefore = CpuMeter.tree(stack);
        var machineBefore = CpuMeter.machine();
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String summary = null;
        try (CpuMeter.Watch toolCpu = new CpuMeter.Watch(process.toHandle());
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log));
             BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                     StandardCharsets.UTF_8))) {
            Thread killer = deadline(process);
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (SUMMARY.matcher(line).find()) {
                    summary = line;
                } else if (line.contains("records sent")) {
                    IngestBenchmark.say("  " + line);
                }
            }
            killer.interrupt();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Duration wall = Duration.ofNanos(System.nanoTime() - started);
            Duration stackCpu = CpuMeter.tree(stack).minus(stackBefore);
            double busy = CpuMeter.machineBusy(machineBefore, CpuMeter.machine());
            if (process.exitValue() != 0 || summary == null) {
                throw new IllegalStateException("ProducerPerformance failed (exit " + process.exitValue()
                        + "); its output is in " + log);
            }
            IngestBenchmark.say("  " + summary);
            Matcher m = SUMMARY.matcher(summary);
            if (!m.find()) {
                throw new IllegalStateException("unreadable summary: " + summary);
            }
            return new Result(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)),
                    Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)),
                    Double.parseDouble(m.group(6)), Double.parseDouble(m.group(7)), Double.parseDouble(m.group(8)),
                    Double.parseDouble(m.group(9)), summary.trim(), wall, toolCpu.last(), stackCpu, busy);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /** Ends the tool if it runs past the time limit, so that a stuck broker cannot hang the benchmark. */
    private static Thread deadline(Process process) {
        Thread killer = new Thread(() -> {
            try {
                if (!process.waitFor(TIME_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                    IngestBenchmark.say("ProducerPerformance ran past " + TIME_LIMIT.toMinutes() + " min; stopping it");
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                // finished in time
            }
        }, "producer-perf-deadline");
        killer.setDaemon(true);
        killer.start();
        return killer;
    }

    private ProducerPerfRun() {
    }
}
