package dev.tally.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The flags of {@code bench/aggregator.sh}, with the defaults of a full run: a quick run to debug and the full run
 * are the same code, and the report prints the flags that reproduce it.
 */
record AggregatorOptions(long events, int partitions, int users, int pages, Duration eventSpan, Duration settle,
                         Duration timeLimit, Duration quietWait, String aggregatorIdleTimeout, boolean jfr,
                         boolean writeResults) {

    static final String USAGE = """
            usage: bench/aggregator.sh [flags]
              --events N          events written to clicks before the measured part (default 1000000)
              --partitions N      partitions of clicks (default 8)
              --users N           distinct users, the Kafka key (default 100000)
              --pages N           distinct pages (default 1000)
              --event-minutes M   event time the events span, increasing with small disorder (default 120)
              --settle S          done once results_published did not grow for this long after every event was
                                  counted (default 2)
              --time-limit S      give up measuring aggregator-service after this long and report what it did
                                  (default 900)
              --idle-timeout D    TALLY_AGGREGATOR_IDLE_TIMEOUT of the service, ISO-8601 (default PT3S)
              --quiet-wait S      wait at most this long for the machine to be under 15% busy (default 300)
              --jfr               record aggregator-service with JFR for 30 s, 10 s after it is ready
                                  (target/aggregator.jfr)
              --no-results        print the table only, do not write results/aggregator-<date>.md
            """;

    static AggregatorOptions parse(String[] args) {
        Parsed f = new Parsed();
        BenchOptions.eachFlag(args, java.util.Set.of("--jfr", "--no-results"), (flag, value) -> {
            switch (flag) {
                case "--jfr" -> f.jfr = true;
                case "--no-results" -> f.write = false;
                case "--events" -> f.events = BenchOptions.between(flag, value, 1, 1_000_000_000L);
                case "--partitions" -> f.partitions = (int) BenchOptions.between(flag, value, 1, 256);
                case "--users" -> f.users = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                case "--pages" -> f.pages = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                case "--event-minutes" -> f.eventMinutes = BenchOptions.between(flag, value, 1, 60 * 24 * 20);
                case "--settle" -> f.settle = BenchOptions.between(flag, value, 1, 600);
                case "--time-limit" -> f.timeLimit = BenchOptions.between(flag, value, 10, 7200);
                case "--quiet-wait" -> f.quietWait = BenchOptions.between(flag, value, 0, 3600);
                case "--idle-timeout" -> {
                    Duration.parse(value);
                    f.idle = value;
                }
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        });
        return new AggregatorOptions(f.events, f.partitions, f.users, f.pages, Duration.ofMinutes(f.eventMinutes),
                Duration.ofSeconds(f.settle), Duration.ofSeconds(f.timeLimit), Duration.ofSeconds(f.quietWait), f.idle,
                f.jfr, f.write);
    }

    /** The flags as they are read, with the defaults of a full run. */
    private static final class Parsed {
        long events = 1_000_000;
        int partitions = 8;
        int users = 100_000;
        int pages = 1_000;
        long eventMinutes = 120;
        long settle = 2;
        long timeLimit = 900;
        long quietWait = 300;
        String idle = "PT3S";
        boolean jfr;
        boolean write = true;
    }

    /** The flags that reproduce this run, every one spelled out so that later defaults cannot change it. */
    List<String> asFlags() {
        List<String> flags = new ArrayList<>(List.of("--events", Long.toString(events), "--partitions",
                Integer.toString(partitions), "--users", Integer.toString(users), "--pages", Integer.toString(pages),
                "--event-minutes", Long.toString(eventSpan.toMinutes()), "--settle", Long.toString(settle.toSeconds()),
                "--time-limit", Long.toString(timeLimit.toSeconds()), "--idle-timeout", aggregatorIdleTimeout,
                "--quiet-wait", Long.toString(quietWait.toSeconds())));
        if (jfr) {
            flags.add("--jfr");
        }
        return flags;
    }
}
