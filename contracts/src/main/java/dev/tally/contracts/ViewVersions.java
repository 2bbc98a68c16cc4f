package dev.tally.contracts;

import java.util.regex.Pattern;

/**
 * How the topics of a view version are named. The stream engine's output of version 1 is on the plain topics
 * ({@code page-stats}); a Kappa replay builds version {@code n} beside it, on {@code page-stats.v<n>}, and readers
 * switch once it has caught up.
 */
public final class ViewVersions {
    /** The version every installation starts with. */
    public static final int FIRST = 1;

    /** The name of {@code base} (one of {@link Topics#VERSIONED}) in view version {@code version}. */
    public static String topic(String base, int version) {
        if (version < FIRST) {
            throw new IllegalArgumentException("view versions start at " + FIRST + ", not " + version);
        }
        return version == FIRST ? base : base + ".v" + version;
    }

    /**
     * The view version of a topic named by {@link #topic}: 1 for a plain name. Asked for every record a reader
     * applies, so it looks at the name's end without a regular expression.
     */
    public static int versionOf(String topic) {
        int suffix = topic.lastIndexOf(".v");
        if (suffix <= 0 || suffix + 2 == topic.length()) {
            return FIRST;
        }
        for (int i = suffix + 2; i < topic.length(); i++) {
            char c = topic.charAt(i);
            if (c < '0' || c > '9') {
                return FIRST;
            }
        }
        return Integer.parseInt(topic, suffix + 2, topic.length(), 10);
    }

    /** A regular expression for a consumer's pattern subscription to {@code base} in every view version. */
    public static String pattern(String base) {
        return Pattern.quote(base) + "(\\.v[0-9]+)?";
    }

    private ViewVersions() {
    }
}
