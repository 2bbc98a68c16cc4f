package dev.tally.aggregator.domain;

import java.util.Arrays;

/**
 * One shared {@code String} per distinct id (of a user, of a page) as records are parsed, for the ids the state keeps:
 * an open window holds a user once per window it counts them in, a session its pages, and every event brought new
 * copies of them. With one copy per id the state holds fewer objects (shorter collector pauses: what it keeps of a
 * batch is mostly ids it already had), and the state's lookups compare ids that are the same object, already in the
 * cache, instead of reading two copies. Stage 1 interns straight from a record's bytes ({@link #intern(byte[], int,
 * int)}), so an id it has seen costs no new {@code String} at all. Not thread-safe: each consumer thread parses with
 * its own.
 * <p>
 * The ids are looked up in a {@link CharTable}, the shared copies kept by its dense ids. Bounded: past {@code limit}
 * distinct ids it starts again empty, so that ids no longer seen are let go.
 */
public final class Interner {
    private final int limit;
    private CharTable table;
    private String[] shared;

    public Interner(int limit) {
        this.limit = limit;
        clear();
    }

    private void clear() {
        table = new CharTable();
        shared = new String[64];
    }

    /** The shared copy of {@code id} (itself the first time); null for null. */
    public String intern(String id) {
        return id == null ? null : shared(table.intern(id), id);
    }

    /** The shared copy of the ASCII id in {@code bytes[offset, offset + length)} (every byte below 0x80). */
    public String intern(byte[] bytes, int offset, int length) {
        return shared(table.intern(bytes, offset, length), null);
    }

    /** The shared copy of the id in {@code chars[offset, offset + length)}. */
    public String intern(char[] chars, int offset, int length) {
        return shared(table.intern(chars, offset, length), null);
    }

    /** The copy of the id numbered {@code id}: {@code given}, or one made from the table, the first time. */
    private String shared(int id, String given) {
        if (id < shared.length && shared[id] != null) {
            return shared[id];
        }
        if (id >= shared.length) {
            shared = Arrays.copyOf(shared, Math.max(id + 1, shared.length * 2));
        }
        String copy = given != null ? given : table.get(id);
        shared[id] = copy;
        if (table.size() > limit) {
            clear();
        }
        return copy;
    }
}
