package dev.tally.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The flags of {@code bench/ingest.sh}, with the defaults of a full run. They exist so that a quick run to debug
 * and the full run are the same code, and so that the report can print the exact command that reproduces it.
 */
record BenchOptions(long records, int recordBytes, int partitions, Duration warmup, Duration duration,
                    int batchEvents, List<Integer> batchConcurrency, List<Integer> singleConcurrency,
                    String ingestJvmArgs, Duration quietWait, boolean jfr, boolean writeResults) {

    static final String USAGE = """
            usage: bench/ingest.sh [flags]
              --records N              records ProducerPerformance sends (default 1000000)
              --record-bytes N         bytes per record and per event (default 200)
              --partitions N           partitions of clicks and of the ProducerPerformance topic (default 8)
              --warmup S               seconds of load before each measured window (default 20)
              --duration S             seconds of each measured window (default 30)
              --batch-events N         events per POST /events/batch (default 100)
              --batch-concurrency L    batch requests in flight; a comma list runs each (default 16)
              --single-concurrency L   single-event requests in flight; a comma list runs each (default 128)
              --ingest-jvm-args "A"    JVM flags of ingest-service (default "-Xms256m -Xmx512m", as ./tally runs it)
              --quiet-wait S           wait at most this long for the machine to be under 15% busy before
                                       starting, as it is shared with builds (default 300; 0 does not wait)
              --jfr                    record ingest-service with JFR during each measured window
                                       (target/ingest-<phase>.jfr)
              --no-results             print the table only, do not write results/ingest-<date>.md
            """;

    static BenchOptions defaults() {
        return new BenchOptions(1_000_000, 200, 8, Duration.ofSeconds(20), Duration.ofSeconds(30), 100,
                List.of(16), List.of(128), "-Xms256m -Xmx512m", Duration.ofSeconds(300), false, true);
    }

    static BenchOptions parse(String[] args) {
        BenchOptions[] o = {defaults()};
        eachFlag(args, java.util.Set.of("--jfr", "--no-results"), (flag, value) -> {
            switch (flag) {
                case "--jfr" -> o[0] = o[0].with(b -> b.jfr = true);
                case "--no-results" -> o[0] = o[0].with(b -> b.writeResults = false);
                default -> o[0] = o[0].with(b -> b.set(flag, value));
            }
        });
        return o[0];
    }

    /** The flags that reproduce this run, every one spelled out so that later defaults cannot change it. */
    List<String> asFlags() {
        List<String> flags = new ArrayList<>(List.of(
                "--records", Long.toString(records), "--record-bytes", Integer.toString(recordBytes),
                "--partitions", Integer.toString(partitions), "--warmup", Long.toString(warmup.toSeconds()),
                "--duration", Long.toString(duration.toSeconds()), "--batch-events", Integer.toString(batchEvents),
                "--batch-concurrency", join(batchConcurrency), "--single-concurrency", join(singleConcurrency),
                "--ingest-jvm-args", "'" + ingestJvmArgs + "'", "--quiet-wait",
                Long.toString(quietWait.toSeconds())));
        if (jfr) {
            flags.add("--jfr");
        }
        return flags;
    }

    private static String join(List<Integer> values) {
        return String.join(",", values.stream().map(String::valueOf).toList());
    }

    private BenchOptions with(java.util.function.Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /** Mutable only while one flag is applied. */
    private static final class Builder {
        long records;
        int recordBytes;
        int partitions;
        Duration warmup;
        Duration duration;
        int batchEvents;
        List<Integer> batchConcurrency;
        List<Integer> singleConcurrency;
        String ingestJvmArgs;
        Duration quietWait;
        boolean jfr;
        boolean writeResults;

        Builder(BenchOptions o) {
            records = o.records;
            recordBytes = o.recordBytes;
            partitions = o.partitions;
            warmup = o.warmup;
            duration = o.duration;
            batchEvents = o.batchEvents;
            batchConcurrency = o.batchConcurrency;
            singleConcurrency = o.singleConcurrency;
            ingestJvmArgs = o.ingestJvmArgs;
            quietWait = o.quietWait;
            jfr = o.jfr;
            writeResults = o.writeResults;
        }

        void set(String flag, String value) {
            switch (flag) {
                case "--records" -> records = positive(flag, value);
                case "--record-bytes" -> recordBytes = (int) between(flag, value, 160, 30_000);
                case "--partitions" -> partitions = (int) between(flag, value, 1, 256);
                case "--warmup" -> warmup = Duration.ofSeconds(between(flag, value, 0, 600));
                case "--duration" -> duration = Duration.ofSeconds(between(flag, value, 1, 600));
                case "--batch-events" -> batchEvents = (int) between(flag, value, 1, 10_000);
                case "--batch-concurrency" -> batchConcurrency = list(flag, value);
                case "--single-concurrency" -> singleConcurrency = list(flag, value);
                case "--ingest-jvm-args" -> ingestJvmArgs = value.trim();
                case "--quiet-wait" -> quietWait = Duration.ofSeconds(between(flag, value, 0, 3600));
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }

        BenchOptions build() {
            return new BenchOptions(records, recordBytes, partitions, warmup, duration, batchEvents,
                    batchConcurrency, singleConcurrency, ingestJvmArgs, quietWait, jfr, writeResults);
        }

        private static long positive(String flag, String value) {
            return between(flag, value, 1, Long.MAX_VALUE);
        }


        private static List<Integer> list(String flag, String value) {
            List<Integer> values = Arrays.stream(value.split(",")).map(String::trim)
                    .map(v -> (int) between(flag, v, 1, 4096)).toList();
            if (values.isEmpty()) {
                throw new IllegalArgumentException(flag + " needs at least one value");
            }
            return values;
        }
    }

    /** Where the checkout is: set by bench/ingest.sh, else the parent of the working folder (bench/). */
    static Path home() {
        String home = System.getProperty("tally.home");
        return home != null ? Path.of(home).toAbsolutePath().normalize()
                : Path.of("").toAbsolutePath().getParent();
    }

    /** What a benchmark does with one flag: a switch (value null) or a flag with its value. */
    interface Flag {
        void take(String flag, String value);
    }

    /**
     * Walks {@code args}: each of {@code switches} alone, every other flag with the value after it. {@code -h} and
     * {@code --help} end it with an empty message (the caller prints its usage); a flag without its value, with a
     * message that names it. Shared by every benchmark.
     */
    static void eachFlag(String[] args, java.util.Set<String> switches, Flag flag) {
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("-h") || name.equals("--help")) {
                throw new IllegalArgumentException("");
            }
            if (switches.contains(name)) {
                flag.take(name, null);
            } else if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            } else {
                flag.take(name, args[++i]);
            }
        }
    }

    /** A whole-number flag value within bounds, or an error that names the flag; shared by every benchmark. */
    static long between(String flag, String value, long min, long max) {
        long n;
        try {
            n = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a whole number, not '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(flag + " must be between " + min + " and " + max + ", not " + n);
        }
        return n;
    }
}
