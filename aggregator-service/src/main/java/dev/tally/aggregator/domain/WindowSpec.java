package dev.tally.aggregator.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One window definition: how events are grouped in event time, how long a window waits for late events
 * ({@code grace}), and when its results are emitted. Windows are aligned to the epoch, so every replica and every
 * run assigns an event to the same windows.
 * <ul>
 *   <li>tumbling: fixed, non-overlapping windows of {@code size};</li>
 *   <li>hopping: windows of {@code size} starting every {@code advance} (an event is in size/advance of them);</li>
 *   <li>sliding: a hopping window whose {@code advance} is the resolution at which it slides (default 1 s):
 *       the totals of the last {@code size}, as of every step;</li>
 *   <li>session: per user, events closer than {@code gap}; see {@link SessionWindows}.</li>
 * </ul>
 * A window definition other than sessions groups the events by page, or by another key ({@code groupBy}):
 * {@code user_id}, {@code type} or an attribute ({@code attrs.country}); an event without that key is in none of
 * the definition's groups. Every definition counts views, distinct users and the sum of {@code value} per group.
 */
public record WindowSpec(String name, Kind kind, Duration size, Duration advance, Duration gap, Duration grace,
                         EmitPolicy emit, String groupBy) {

    /** The default grouping. */
    public static final String PAGE = "page_id";


    /** The shapes of windows. */
    public enum Kind { TUMBLING, HOPPING, SLIDING, SESSION }

    /** When a window's results go out: on every change ({@code final=false} until the end), or only once final. */
    public enum EmitPolicy { ON_UPDATE, FINAL }

    public WindowSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        grace = grace == null ? Duration.ZERO : grace;
        emit = emit == null ? EmitPolicy.ON_UPDATE : emit;
        groupBy = groupBy == null || groupBy.isBlank() ? PAGE : groupBy.trim();
        if (!List.of(PAGE, "user_id", "type").contains(groupBy)
                && !(groupBy.startsWith("attrs.") && groupBy.length() > "attrs.".length())) {
            throw new IllegalArgumentException(name + ": group-by must be page_id, user_id, type or attrs.<name>, not '"
                    + groupBy + "'");
        }
        if (kind == Kind.SESSION && !groupBy.equals(PAGE)) {
            throw new IllegalArgumentException(name + ": sessions are per user; a session window has no group-by");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException(name + ": grace must not be negative");
        }
        if (kind == Kind.SESSION) {
            if (gap == null || gap.isNegative() || gap.isZero()) {
                throw new IllegalArgumentException(name + ": a session window needs a positive gap");
            }
        } else {
            if (size == null || size.isNegative() || size.isZero()) {
                throw new IllegalArgumentException(name + ": a window needs a positive size");
            }
            if (kind == Kind.TUMBLING) {
                advance = size;
            } else if (advance == null) {
                if (kind == Kind.HOPPING) {
                    throw new IllegalArgumentException(name + ": a hopping window needs an advance");
                }
                advance = Duration.ofSeconds(1);
            }
            if (advance.isNegative() || advance.isZero() || advance.compareTo(size) > 0
                    || size.toMillis() % advance.toMillis() != 0) {
                throw new IllegalArgumentException(name + ": the advance must be positive, at most the size, and "
                        + "divide it");
            }
        }
    }

    public static WindowSpec tumbling(String name, Duration size, Duration grace, EmitPolicy emit) {
        return new WindowSpec(name, Kind.TUMBLING, size, size, null, grace, emit, null);
    }

    public static WindowSpec hopping(String name, Duration size, Duration advance, Duration grace, EmitPolicy emit) {
        return new WindowSpec(name, Kind.HOPPING, size, advance, null, grace, emit, null);
    }

    public static WindowSpec session(String name, Duration gap, Duration grace) {
        return new WindowSpec(name, Kind.SESSION, null, null, gap, grace, EmitPolicy.FINAL, null);
    }

    /** The same definition, grouped by {@code key}. */
    public WindowSpec groupedBy(String key) {
        return new WindowSpec(name, kind, size, advance, gap, grace, emit, key);
    }

    /** True if this definition groups by page (its results go to page-stats). */
    public boolean byPage() {
        return PAGE.equals(groupBy);
    }

    /** Whether its groups need more of a click than its ids: its type or one of its attributes. */
    public boolean groupsByTypeOrAttribute() {
        return !PAGE.equals(groupBy) && !"user_id".equals(groupBy);
    }

    /** The group of an event in this definition, or null if the event has no value for its key. */
    public String groupOf(dev.tally.contracts.ClickEvent event) {
        return switch (groupBy) {
            case PAGE -> event.pageId();
            case "user_id" -> event.userId();
            case "type" -> event.type();
            default -> {
                Object value = event.attrs() == null ? null : event.attrs().get(groupBy.substring("attrs.".length()));
                yield value == null ? null : value.toString();
            }
        };
    }

    /** Every window of this definition that contains {@code time}, oldest first. Not for session windows. */
    public List<Window> windowsOf(Instant time) {
        if (kind == Kind.SESSION) {
            throw new IllegalStateException(name + " is a session window: sessions are per user");
        }
        long at = time.toEpochMilli();
        long step = advance.toMillis();
        long length = size.toMillis();
        long lastStart = Math.floorDiv(at, step) * step;
        List<Window> windows = new ArrayList<>((int) (length / step));
        for (long start = lastStart - length + step; start <= lastStart; start += step) {
            if (start + length > at) {
                windows.add(new Window(name, Instant.ofEpochMilli(start), Instant.ofEpochMilli(start + length)));
            }
        }
        return windows;
    }

    /** True once a watermark has passed the window's end plus the grace period: nothing can change it any more. */
    public boolean closed(Window window, Instant watermark) {
        return watermark != null && !watermark.isBefore(window.end().plus(grace));
    }

    /** ISO-8601 text of a duration, in days when it is whole days ({@code P1D}, not {@code PT24H}). */
    public static String iso(Duration duration) {
        if (!duration.isZero() && duration.toSeconds() % 86_400 == 0 && duration.toNanosPart() == 0) {
            return "P" + duration.toDays() + "D";
        }
        return duration.toString();
    }

    public String kindName() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
