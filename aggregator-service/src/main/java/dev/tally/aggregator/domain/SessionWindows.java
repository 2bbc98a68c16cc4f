package dev.tally.aggregator.domain;

import dev.tally.contracts.ClickEvent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;

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

    /**
     * An open session: times in epoch milliseconds, its distinct pages (its ids, in the order they came; sorted when
     * it completes), and the next session of the same user (a user has one or a few open at a time).
     */
    private static final class Open extends IdSet {
        final String user;
        /** {@code user.hashCode()}, where {@link Heads} reads it without reading the user's id. */
        final int userHash;
        long start;
        long end;
        long events;
        Open next;
        /** The completion time it waits under in {@link #queue}: at most its real one (an extension moves that). */
        long queuedAt;
        /** Completed, or merged into another: skipped when it comes up in {@link #queue}. */
        boolean closed;

        Open(String user, int userHash, long start, long end) {
            this.user = user;
            this.userHash = userHash;
            this.start = start;
            this.end = end;
        }
    }

    /**
     * Each user's first open session, by user id: open addressing over the sessions themselves, which carry their
     * user's id and its hash code. A lookup reads the table and the session it needs anyway, where a {@code HashMap}
     * also read a node: the sessions' map was the largest part of the sessions' cost, its nodes missing the cache
     * among the rest of the state.
     */
    private static final class Heads {
        /** Every user's first session, at the slot its user's hash leads to or after; read as a whole by writeTo. */
        private Open[] table = new Open[256];
        private int size;

        Open get(String user, int hash) {
            int mask = table.length - 1;
            for (int slot = IdSet.spread(hash) & mask; ; slot = (slot + 1) & mask) {
                Open open = table[slot];
                if (open == null || isOf(open, user, hash)) {
                    return open;
                }
            }
        }

        /** Makes {@code head} its user's first session; the one it replaces, or null. */
        Open put(Open head) {
            int mask = table.length - 1;
            int slot = IdSet.spread(head.userHash) & mask;
            while (table[slot] != null && !isOf(table[slot], head.user, head.userHash)) {
                slot = (slot + 1) & mask;
            }
            if (table[slot] == null && ++size * 2 > table.length) {
                grow();
                return put(head);
            }
            Open replaced = table[slot];
            table[slot] = head;
            return replaced;
        }

        /**
         * Forgets the user's sessions, and moves back the ones after it that could not take their own slot; the first
         * of them, or null.
         */
        Open remove(String user, int hash) {
            int mask = table.length - 1;
            int hole = IdSet.spread(hash) & mask;
            while (table[hole] != null && !isOf(table[hole], user, hash)) {
                hole = (hole + 1) & mask;
            }
            Open removed = table[hole];
            if (removed == null) {
                return null;
            }
            table[hole] = null;
            size--;
            for (int slot = (hole + 1) & mask; table[slot] != null; slot = (slot + 1) & mask) {
                int home = IdSet.spread(table[slot].userHash) & mask;
                if (((slot - home) & mask) >= ((slot - hole) & mask)) { // its home is not after the hole
                    table[hole] = table[slot];
                    table[slot] = null;
                    hole = slot;
                }
            }
            return removed;
        }

        private static boolean isOf(Open open, String user, int hash) {
            return open.user == user || (open.userHash == hash && open.user.equals(user));
        }

        private void grow() {
            Open[] old = table;
            table = new Open[old.length * 2];
            size = 0;
            for (Open open : old) {
                if (open != null) {
                    put(open);
                }
            }
        }

        void clear() {
            table = new Open[256];
            size = 0;
        }
    }

    private final long gap;
    private final long grace;
    /** Each user's open sessions, as a chain from the first. */
    private final Heads byUser = new Heads();
    /**
     * Every open session once, by the time it completes at the earliest; an extended session moves on when it comes
     * up too early. Completing is then proportional to what completes, not to the users with a session open.
     */
    private final PriorityQueue<Open> queue = new PriorityQueue<>((a, b) -> Long.compare(a.queuedAt, b.queuedAt));
    private int openSessions;
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
        this.gap = spec.gap().toMillis();
        this.grace = spec.grace().toMillis();
    }

    /** Adds an event, given the partition's watermark before it; the event back if it is late for its session. */
    public Optional<ClickEvent> add(ClickEvent event, Instant watermark) {
        // in milliseconds, as checkpoints keep the times and the windows count them: a restored session is the same
        long time = event.eventTime().toEpochMilli();
        if (watermark != null && time + gap + grace <= watermark.toEpochMilli()) {
            return Optional.of(event);
        }
        extend(event.userId(), time, event.pageId());
        log.add(new Step(event.userId(), time, event.pageId()));
        return Optional.empty();
    }

    /** Adds an event that is not late to the user's sessions. */
    private void extend(String user, long time, String page) {
        // every open session within the gap of this event joins it: the event extends the first in place (the
        // common case, one session), and further ones, which it bridges, merge into the one with more pages
        Open merged = null;
        int hash = user.hashCode();
        Open head = byUser.get(user, hash);
        // an unlinked session keeps its next: the walk goes on past it
        for (Open open = head; open != null; open = open.next) {
            if (open.start < time + gap && open.end + gap > time) {
                if (merged == null) {
                    merged = open;
                    continue;
                }
                Open into = open.idCount() > merged.idCount() ? open : merged;
                Open from = into == open ? merged : open;
                into.start = Math.min(into.start, from.start);
                into.end = Math.max(into.end, from.end);
                into.events += from.events;
                for (int i = 0; i < from.idCount(); i++) {
                    into.addId(from.id(i), from.idHash(i));
                }
                unlink(from);
                from.closed = true;
                openSessions--;
                merged = into;
            }
        }
        if (merged == null) {
            merged = new Open(user, hash, time, time);
            merged.next = head; // nothing merged: the user's sessions are as they were
            byUser.put(merged);
            merged.queuedAt = completesAt(merged);
            queue.add(merged);
            openSessions++;
        }
        merged.start = Math.min(merged.start, time);
        merged.end = Math.max(merged.end, time);
        merged.events++;
        merged.addId(page);
    }

    private void unlink(Open gone) {
        Open head = byUser.get(gone.user, gone.userHash);
        if (head == gone) {
            if (gone.next == null) {
                byUser.remove(gone.user, gone.userHash);
            } else {
                byUser.put(gone.next);
            }
            return;
        }
        for (Open open = head; open != null; open = open.next) {
            if (open.next == gone) {
                open.next = gone.next;
                return;
            }
        }
    }

    private long completesAt(Open open) {
        return open.end + gap + grace;
    }

    /** Removes and returns the sessions the watermark has completed, oldest first per user. */
    public List<Session> complete(Instant watermark) {
        List<Session> done = new ArrayList<>();
        if (watermark == null) {
            return done;
        }
        long now = watermark.toEpochMilli();
        expire(now, done);
        if (!done.isEmpty()) {
            done.sort(java.util.Comparator.comparing(Session::start));
            log.add(new Step(null, now, null));
        }
        return done;
    }

    /** Takes out the sessions complete at {@code now}, adding them to {@code done} unless it is null (a replay). */
    private void expire(long now, List<Session> done) {
        while (!queue.isEmpty() && queue.peek().queuedAt <= now) {
            Open open = queue.poll();
            if (open.closed) {
                continue;
            }
            if (completesAt(open) > now) { // extended since it was queued
                open.queuedAt = completesAt(open);
                queue.add(open);
                continue;
            }
            unlink(open);
            open.closed = true;
            openSessions--;
            if (done != null) {
                String[] pages = open.ids();
                java.util.Arrays.sort(pages);
                done.add(new Session(open.user, Instant.ofEpochMilli(open.start), Instant.ofEpochMilli(open.end),
                        open.events, List.of(pages)));
            }
        }
    }

    /** Writes the open sessions, for a checkpoint. */
    public void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(openSessions);
        for (Open head : byUser.table) {
            for (Open open = head; open != null; open = open.next) {
                out.writeUTF(open.user);
                write(open, out);
            }
        }
    }

    private static void write(Open open, java.io.DataOutput out) throws java.io.IOException {
        out.writeLong(open.start);
        out.writeLong(open.end);
        out.writeLong(open.events);
        out.writeInt(open.idCount());
        for (int i = 0; i < open.idCount(); i++) {
            out.writeUTF(open.id(i));
        }
    }

    /** Reads a session written by {@link #write} and opens it. */
    private void readOpen(String user, java.io.DataInputStream in) throws java.io.IOException {
        Open open = new Open(user, user.hashCode(), in.readLong(), in.readLong());
        open.events = in.readLong();
        int pages = in.readInt();
        for (int j = 0; j < pages; j++) {
            open.addId(in.readUTF());
        }
        open.next = byUser.put(open);
        open.queuedAt = completesAt(open);
        queue.add(open);
        openSessions++;
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
                long time = in.readLong();
                if (added) {
                    String user = in.readUTF();
                    extend(user, time, in.readUTF());
                } else {
                    expire(time, null);
                }
            }
            log.clear();
            return;
        }
        int users = in.readInt();
        for (int i = 0; i < users; i++) {
            String user = in.readUTF();
            for (Open open = byUser.remove(user, user.hashCode()); open != null; open = open.next) {
                open.closed = true;
                openSessions--;
            }
            int count = in.readInt();
            for (int j = 0; j < count; j++) {
                readOpen(user, in);
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
        queue.clear();
        openSessions = 0;
        log.clear();
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            readOpen(in.readUTF(), in);
        }
    }

    /** Sessions still open. */
    public int openSessions() {
        return openSessions;
    }
}
