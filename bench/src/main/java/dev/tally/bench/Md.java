package dev.tally.bench;

import java.time.Duration;
import java.util.Locale;

/** What the benchmarks' Markdown reports share: table rows and how figures are written. */
final class Md {

    static void row(StringBuilder md, String... cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** A whole number with thousands separators; a dash for a figure that does not exist. */
    static String num(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "—" : String.format(Locale.ROOT, "%,.0f", value);
    }

    static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private Md() {
    }
}
