package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Session windows of the users of one partition of {@code clicks}: a user's events closer than {@code gap} to
 * each other form one session. An out-of-order event may extend a session backwards or join two sessions into
 * one. A session is complete once the partition's watermark has passed its last event plus the gap plus the grace
 * period; an event that would belong to a completed session is late.
 */
public final class SessionWindows {

    /** A completed session. */
    public record Session(String userId, Instant start, Instant end, long events, List<String> pages) {
    }

    private static final class Open {
        Instant start;
        Instant end;
        long events;
        final TreeSet<String> pages = new TreeSet<>();
    }

    private final Duration gap;
    private final Duration grace;
    private final Map<String, TreeMap<Instant, Open>> byUser = new HashMap<>();
    /** No open session completes before this (epoch milliseconds; a lower bound). */
    private long nextComplete = Long.MAX_VALUE;
    /**
     * What happened since the last checkpoint, in order: each event added (user, time, page) and each completion
     * that took sessions out (its watermark, no user). Replayed onto the checkpointed sessions it gives back these:
     * a delta is this log, not the sessions it changed (a user's session with all its pages, at every event).
     */
    private final List<Step> log = new ArrayList<>();

    /** An event added at {@code time} ({@code user} set), or a completion at the watermark {@code time}. */
    private record Step(String user, long time, String page) {
    }

    public SessionWindows(WindowSpec spec) {
        if (spec.kind() != WindowSpec.Kind.SESSION) {
            throw new IllegalArgumentException(spec.name() + " is not a session window");
        }
        this.gap = spec.gap();
        this.grace = spec.grace();
    }

    /** Adds an event, given the partition's watermark before it; the event back if it is late for its session. */
    public Optional<ClickEvent> add(ClickEvent event, Instant watermark) {
        // in milliseconds, as checkpoints keep the times and the windows count them: a restored session is the same
        Instant time = Instant.ofEpochMilli(event.eventTime().toEpochMilli());
        if (watermark != null && !time.plus(gap).plus(grace).isAfter(watermark)) {
            return Optional.of(event);
        }
        extend(event.userId(), time, event.pageId());
        log.add(new Step(event.userId(), time.toEpochMilli(), event.pageId()));
        return Optional.empty();
    }

    /** Adds an event that is not late to the user's sessions. */
    private void extend(String user, Instant time, String page) {
        TreeMap<Instant, Open> sessions = byUser.computeIfAbsent(user, u -> new TreeMap<>());
        // every open session within the gap of this event joins it: the event extends the first in place (the
        // common case, one session), and further ones, which it bridges, merge into the one with more pages
        Open merged = null;
        Iterator<Map.Entry<Instant, Open>> candidates = sessions.headMap(time.plus(gap), false).entrySet()
                .iterator();
        while (candidates.hasNext()) {
            Open open = candidates.next().getValue();
            if (open.end.plus(gap).isAfter(time)) {
                candidates.remove(); // keyed by its start, which may change: put back below
                if (merged == null) {
                    merged = open;
                    continue;
                }
                Open into = open.pages.size() > merged.pages.size() ? open : merged;
                Open from = into == open ? merged : open;
                into.start = from.start.isBefore(into.start) ? from.start : into.start;
                into.end = from.end.isAfter(into.end) ? from.end : into.end;
                into.events += from.events;
                into.pages.addAll(from.pages);
                merged = into;
            }
        }
        if (merged == null) {
            merged = new Open();
            merged.start = time;
            merged.end = time;
        }
        merged.start = time.isBefore(merged.start) ? time : merged.start;
        merged.end = time.isAfter(merged.end) ? time : merged.end;
        merged.events++;
        merged.pages.add(page);
        sessions.put(merged.start, merged);
        noteComplete(merged);
    }

    /** Removes and returns the sessions the watermark has completed, oldest first per user. */
    public List<Session> complete(Instant watermark) {
        List<Session> done = new ArrayList<>();
        if (watermark == null || watermark.toEpochMilli() < nextComplete) {
            return done;
        }
        nextComplete = Long.MAX_VALUE;
        Iterator<Map.Entry<String, TreeMap<Instant, Open>>> users = byUser.entrySet().iterator();
        while (users.hasNext()) {
            Map.Entry<String, TreeMap<Instant, Open>> user = users.next();
            Iterator<Open> sessions = user.getValue().values().iterator();
            while (sessions.hasNext()) {
                Open open = sessions.next();
                if (!open.end.plus(gap).plus(grace).isAfter(watermark)) {
                    done.add(new Session(user.getKey(), open.start, open.end, open.events,
                            List.copyOf(open.pages)));
                    sessions.remove();
                } else {
                    noteComplete(open);
                }
            }
            if (user.getValue().isEmpty()) {
                users.remove();
            }
        }
        if (!done.isEmpty()) {
            log.add(new Step(null, watermark.toEpochMilli(), null));
        }
        return done;
    }

    /** Writes the open sessions, for a checkpoint. */
    public void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(openSessions());
        for (Map.Entry<String, TreeMap<Instant, Open>> user : byUser.entrySet()) {
            for (Open open : user.getValue().values()) {
                out.writeUTF(user.getKey());
                write(open, out);
            }
        }
    }

    private void noteComplete(Open open) {
        nextComplete = Math.min(nextComplete, open.end.toEpochMilli() + gap.toMillis() + grace.toMillis());
    }

    private static void write(Open open, java.io.DataOutput out) throws java.io.IOException {
        out.writeLong(open.start.toEpochMilli());
        out.writeLong(open.end.toEpochMilli());
        out.writeLong(open.events);
        out.writeInt(open.pages.size());
        for (String page : open.pages) {
            out.writeUTF(page);
        }
    }

    private static Open read(java.io.DataInputStream in) throws java.io.IOException {
        Open open = new Open();
        open.start = Instant.ofEpochMilli(in.readLong());
        open.end = Instant.ofEpochMilli(in.readLong());
        open.events = in.readLong();
        int pages = in.readInt();
        for (int j = 0; j < pages; j++) {
            open.pages.add(in.readUTF());
        }
        return open;
    }

    /** Writes, for a delta, what happened since the last checkpoint (see {@link #log}). */
    public void writeChanges(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(log.size());
        for (Step step : log) {
            out.writeBoolean(step.user() != null);
            out.writeLong(step.time());
            if (step.user() != null) {
                out.writeUTF(step.user());
                out.writeUTF(step.page());
            }
        }
    }

    /** Applies a delta written by {@link #writeChanges} to the sessions it was written after. */
    public void readChanges(java.io.DataInputStream in) throws java.io.IOException {
        readChanges(in, true);
    }

    /**
     * {@link #readChanges(java.io.DataInputStream)}; {@code asLog} is false for a delta written before deltas were
     * logs, which held the open sessions of each user whose sessions had changed, as they were.
     */
    public void readChanges(java.io.DataInputStream in, boolean asLog) throws java.io.IOException {
        if (asLog) {
            int steps = in.readInt();
            for (int i = 0; i < steps; i++) {
                boolean added = in.readBoolean();
                Instant time = Instant.ofEpochMilli(in.readLong());
                if (added) {
                    String user = in.readUTF();
                    extend(user, time, in.readUTF());
                } else {
                    complete(time);
                }
            }
            log.clear();
            return;
        }
        int users = in.readInt();
        for (int i = 0; i < users; i++) {
            String user = in.readUTF();
            int count = in.readInt();
            TreeMap<Instant, Open> sessions = new TreeMap<>();
            for (int j = 0; j < count; j++) {
                Open open = read(in);
                sessions.put(open.start, open);
                noteComplete(open);
            }
            if (sessions.isEmpty()) {
                byUser.remove(user);
            } else {
                byUser.put(user, sessions);
            }
        }
    }

    /** The sessions as they are now are in a checkpoint. */
    public void checkpointed() {
        log.clear();
    }

    /** Restores the open sessions written by {@link #writeTo}. */
    public void readFrom(java.io.DataInputStream in) throws java.io.IOException {
        byUser.clear();
        log.clear();
        nextComplete = Long.MAX_VALUE;
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            String user = in.readUTF();
            Open open = read(in);
            noteComplete(open);
            byUser.computeIfAbsent(user, u -> new TreeMap<>()).put(open.start, open);
        }
    }

    /** Sessions still open. */
    public int openSessions() {
        return byUser.values().stream().mapToInt(Map::size).sum();
    }
}
