package dev.tally.system;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.tally.contracts.WindowResult;
import dev.tally.system.LogRecomputation.Counts;
import dev.tally.system.LogRecomputation.WindowKey;
import dev.tally.testkit.KafkaTestClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code page-stats} topic, for some pages, as a consumer that applies only newer versions sees it: the newest
 * result of each window. It exists so that a system test can wait until the engine has called every window final
 * and then compare what it said with a {@link LogRecomputation}; on the way it notices what no consumer could
 * resolve, two different results under one version of a window.
 */
final class PublishedWindows {
    private static final ObjectReader RESULTS = KafkaTestClient.JSON.readerFor(WindowResult.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Set<String> pages;
    private final Map<WindowKey, WindowResult> newest = new TreeMap<>();
    private final List<String> conflicts = new ArrayList<>();
    private int read;
    private int unreadable;
    private int nonFinalOfFinalOnly;

    PublishedWindows(Set<String> pages) {
        this.pages = pages;
    }

    /**
     * Takes the records of {@code log} that it has not seen yet ({@code log} is what a reader has read so far), and
     * says how many those were.
     */
    int catchUp(List<ConsumerRecord<String, String>> log) {
        int before = read;
        for (ConsumerRecord<String, String> record : log.subList(read, log.size())) {
            WindowResult result;
            try {
                result = RESULTS.readValue(record.value());
            } catch (Exception e) {
                unreadable++;
                continue;
            }
            if (result == null || result.window() == null || !pages.contains(result.pageId())) {
                continue;
            }
            WindowKey window = WindowKey.of(result);
            if (!window.recomputed()) {
                continue;
            }
            if ("hopping".equals(window.kind()) && !result.finalResult()) {
                nonFinalOfFinalOnly++; // five-minutes windows are configured to emit their final result only
            }
            WindowResult current = newest.get(window);
            if (current == null || result.version() > current.version()) {
                newest.put(window, result);
            } else if (result.version() == current.version() && (result.views() != current.views()
                    || result.uniqueUsers() != current.uniqueUsers() || result.finalResult() != current.finalResult())) {
                conflicts.add(window + ": version " + result.version() + " says both " + describe(current) + " and "
                        + describe(result) + " (page-stats partition " + record.partition() + " offset "
                        + record.offset() + ")");
            }
        }
        read = log.size();
        return read - before;
    }

    /** Whether the newest result of each of {@code windows} is final. */
    boolean allFinal(Collection<WindowKey> windows) {
        return windows.stream().allMatch(w -> newest.containsKey(w) && newest.get(w).finalResult());
    }

    /** How many of {@code windows} have a final newest result. */
    long finalCount(Collection<WindowKey> windows) {
        return windows.stream().filter(w -> newest.containsKey(w) && newest.get(w).finalResult()).count();
    }

    /**
     * Every way in which the newest results differ from {@code expected}, one line per window: a window that is
     * missing, not final, or final with other counts, a window that no click of the log falls in, and a version
     * that says two different things. Empty when they agree exactly.
     */
    List<String> differencesFrom(LogRecomputation expected) {
        List<String> differences = new ArrayList<>();
        expected.windows().forEach((window, counts) -> {
            WindowResult actual = newest.get(window);
            if (actual == null) {
                differences.add(window + ": expected " + counts + ", but page-stats has no result of it");
            } else if (!actual.finalResult()) {
                differences.add(window + ": expected " + counts + ", but its newest result is not final: "
                        + describe(actual));
            } else if (!new Counts(actual.views(), actual.uniqueUsers()).equals(counts)) {
                differences.add(window + ": expected " + counts + ", actual " + describe(actual));
            }
        });
        newest.forEach((window, actual) -> {
            if (!expected.windows().containsKey(window)) {
                differences.add(window + ": expected no result (no click of the log falls in it), actual "
                        + describe(actual));
            }
        });
        differences.addAll(conflicts);
        return differences;
    }

    /** Records of the pages' five-minutes windows that were not final, although only final ones should go out. */
    int nonFinalOfFinalOnly() {
        return nonFinalOfFinalOnly;
    }

    /** Records of {@code page-stats} (of any page) that are not window results. */
    int unreadable() {
        return unreadable;
    }

    /** Records read so far, of every page. */
    int read() {
        return read;
    }

    static String describe(WindowResult result) {
        return result.views() + " views/" + result.uniqueUsers() + " users (version " + result.version() + ", "
                + (result.finalResult() ? "final" : "not final") + ", watermark " + result.watermark()
                + ", unique_method " + result.uniqueMethod() + ", emitted_at " + result.emittedAt() + ")";
    }
}
