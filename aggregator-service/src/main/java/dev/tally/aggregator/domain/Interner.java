package dev.tally.aggregator.domain;

import java.util.HashMap;

/**
 * One shared {@code String} per distinct id (of a user, of a page) as records are parsed, for the ids the state keeps:
 * an open window holds a user once per window it counts them in, a session its pages, and every event brought new
 * copies of them. With one copy per id the state holds fewer objects (shorter collector pauses: what it keeps of a
 * batch is mostly ids it already had), and the state's lookups compare ids that are the same object, already in the
 * cache, instead of reading two copies. Not thread-safe: each consumer thread parses with its own.
 * <p>
 * Bounded: past {@code limit} distinct ids it starts again empty, so that ids no longer seen are let go.
 */
public final class Interner {
    private final int limit;
    private HashMap<String, String> shared;

    public Interner(int limit) {
        this.limit = limit;
        this.shared = new HashMap<>();
    }

    /** The shared copy of {@code id} (itself the first time); null for null. */
    public String intern(String id) {
        if (id == null) {
            return null;
        }
        String known = shared.putIfAbsent(id, id);
        if (known != null) {
            return known;
        }
        if (shared.size() > limit) {
            shared = new HashMap<>();
        }
        return id;
    }
}
