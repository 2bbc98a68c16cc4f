package dev.tally.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The flags of {@code bench/batch.sh}, with the defaults of a full run: a quick run to debug and the full run are
 * the same code, and the report prints the flags that reproduce it. Values are checked by
 * {@link BenchOptions#between}, the parser every benchmark shares.
 */
record BatchOptions(long events, int partitions, int users, int pages, Duration eventSpan, int workers,
                    Duration timeLimit, Duration quietWait, boolean jfr, boolean writeResults) {

    static final String USAGE = """
            usage: bench/batch.sh [flags]
              --events N          events written to clicks before the measured part (default 5000000)
              --partitions N      partitions of clicks (default 8)
              --users N           distinct users, the Kafka key (default 100000)
              --pages N           distinct pages (default 1000)
              --event-minutes M   event time the events span (default 120)
              --workers N         tasks aggregator-service runs at the same time, TALLY_BATCH_WORKERS (default 2)
              --time-limit S      give up on a batch run (or the archive) after this long (default 900)
              --quiet-wait S      wait at most this long for the machine to be under 15% busy (default 300)
              --jfr               record aggregator-service with JFR (settings=profile) during the batch run
                                  from Kafka (target/batch-kafka.jfr)
              --no-results        print the table only, do not write results/batch-<date>.md
            """;

    static BatchOptions parse(String[] args) {
        Parsed f = new Parsed();
        BenchOptions.eachFlag(args, java.util.Set.of("--jfr", "--no-results"), (flag, value) -> {
            switch (flag) {
                case "--no-results" -> f.write = false;
                case "--jfr" -> f.jfr = true;
                case "--events" -> f.events = BenchOptions.between(flag, value, 1, 1_000_000_000L);
                case "--partitions" -> f.partitions = (int) BenchOptions.between(flag, value, 1, 256);
                case "--users" -> f.users = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                case "--pages" -> f.pages = (int) BenchOptions.between(flag, value, 1, 100_000_000);
                case "--event-minutes" -> f.eventMinutes = BenchOptions.between(flag, value, 1, 60 * 24 * 20);
                case "--workers" -> f.workers = (int) BenchOptions.between(flag, value, 1, 64);
                case "--time-limit" -> f.timeLimit = BenchOptions.between(flag, value, 10, 7200);
                case "--quiet-wait" -> f.quietWait = BenchOptions.between(flag, value, 0, 3600);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        });
        return new BatchOptions(f.events, f.partitions, f.users, f.pages, Duration.ofMinutes(f.eventMinutes),
                f.workers, Duration.ofSeconds(f.timeLimit), Duration.ofSeconds(f.quietWait), f.jfr, f.write);
    }

    /** The flags as they are read, with the defaults of a full run. */
    private static final class Parsed {
        long events = 5_000_000;
        int partitions = 8;
        int users = 100_000;
        int pages = 1_000;
        long eventMinutes = 120;
        int workers = 2;
        long timeLimit = 900;
        long quietWait = 300;
        boolean jfr;
        boolean write = true;
    }

    /** The flags that reproduce this run, every one spelled out so that later defaults cannot change it. */
    List<String> asFlags() {
        List<String> flags = new ArrayList<>(List.of("--events", Long.toString(events), "--partitions", Integer.toString(partitions),
                "--users", Integer.toString(users), "--pages", Integer.toString(pages), "--event-minutes",
                Long.toString(eventSpan.toMinutes()), "--workers", Integer.toString(workers), "--time-limit",
                Long.toString(timeLimit.toSeconds()), "--quiet-wait", Long.toString(quietWait.toSeconds())));
        if (jfr) {
            flags.add("--jfr");
        }
        return flags;
    }
}
