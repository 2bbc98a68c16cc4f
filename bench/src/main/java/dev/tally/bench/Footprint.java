package dev.tally.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the services cost the machine at one instant, to be taken at both ends of a measured window: each service's
 * CPU time and the time its JIT compilers spent compiling (HotSpot's {@code java.ci.totalTime}, read with
 * {@code jcmd PerfCounter.print}), PostgreSQL's CPU time, and the machine's busy share. On two cores shared by every
 * process, a latency figure means little without it: the JIT of three services still compiling a minute into the
 * load took most of a core, and what stands between the load and the target is whoever used the CPU.
 */
record Footprint(long nanos, Map<String, Duration> cpu, Map<String, Duration> jit, Duration postgres,
                 Optional<long[]> machine) {

    private static final Pattern JIT_NANOS = Pattern.compile("java\\.ci\\.totalTime=(\\d+)");
    private static final Pattern TICKS_PER_SECOND = Pattern.compile("sun\\.os\\.hrt\\.frequency=(\\d+)");

    static Footprint take(Map<String, ProcessHandle> services) {
        Map<String, Duration> cpu = new LinkedHashMap<>();
        Map<String, Duration> jit = new LinkedHashMap<>();
        services.forEach((name, process) -> {
            cpu.put(name, CpuMeter.process(process));
            jit.put(name, jitTime(process).orElse(null));
        });
        return new Footprint(System.nanoTime(), cpu, jit, AggregatorBenchmark.postgresCpu(), CpuMeter.machine());
    }

    /** The time a JVM's JIT compilers spent compiling so far (wall time, summed over its compiler threads). */
    static Optional<Duration> jitTime(ProcessHandle process) {
        try {
            String out = Jcmd.run(process, "PerfCounter.print");
            Matcher time = JIT_NANOS.matcher(out);
            Matcher frequency = TICKS_PER_SECOND.matcher(out);
            if (!time.find() || !frequency.find()) {
                return Optional.empty();
            }
            double seconds = Long.parseLong(time.group(1)) / (double) Long.parseLong(frequency.group(1));
            return Optional.of(Duration.ofNanos((long) (seconds * 1e9)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** A Markdown table of what the services used between {@code start} and this one. */
    String since(Footprint start) {
        double seconds = (nanos - start.nanos) / 1e9;
        StringBuilder table = new StringBuilder(String.format(
                "| process | cores busy | JIT compiling, s of the %.0f s (wall time, summed over its compiler threads) |%n"
                        + "|---|---:|---:|%n", seconds));
        double named = 0;
        for (String name : cpu.keySet()) {
            double cores = (cpu.get(name).toNanos() - start.cpu.get(name).toNanos()) / 1e9 / seconds;
            named += cores;
            Duration jitNow = jit.get(name);
            Duration jitThen = start.jit.get(name);
            String compiling = jitNow == null || jitThen == null ? "—"
                    : String.format("%.1f", (jitNow.toNanos() - jitThen.toNanos()) / 1e9);
            table.append(String.format("| %s | %.2f | %s |%n", name, cores, compiling));
        }
        double postgresCores = (postgres.toNanos() - start.postgres.toNanos()) / 1e9 / seconds;
        table.append(String.format("| PostgreSQL | %.2f | |%n", postgresCores));
        double busy = CpuMeter.machineBusy(start.machine, machine);
        int cores = Runtime.getRuntime().availableProcessors();
        if (!Double.isNaN(busy)) {
            table.append(String.format("| the rest (Kafka broker, Artemis, the load generator) | %.2f | |%n",
                    Math.max(0, busy * cores - named - postgresCores)));
            table.append(String.format("| machine (%d cores) | %.2f (%.0f%% busy) | |%n", cores, busy * cores,
                    busy * 100));
        }
        return table.toString();
    }
}
