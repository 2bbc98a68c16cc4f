package dev.tally.aggregator.domain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class InternerTest {

    @Test
    void givesTheFirstCopyOfAnIdForEveryEqualOne() {
        Interner ids = new Interner(10);
        String first = new String("user-1");
        assertSame(first, ids.intern(first));
        assertSame(first, ids.intern(new String("user-1")));
        String other = new String("user-2");
        assertSame(other, ids.intern(other));
        assertNull(ids.intern(null));
    }

    @Test
    void startsAgainPastItsLimitSoThatOldIdsAreLetGo() {
        Interner ids = new Interner(3);
        String kept = new String("a");
        ids.intern(kept);
        for (String id : new String[] {"b", "c", "d"}) {
            ids.intern(id); // the fourth distinct id passes the limit
        }
        String again = new String("a");
        assertNotSame(kept, ids.intern(again), "forgotten: the next copy is the shared one");
        assertSame(again, ids.intern(new String("a")));
        assertEquals("a", ids.intern("a"));
    }

    @Test
    void anIdFromBytesOrCharsIsTheSameSharedCopy() {
        Interner ids = new Interner(10);
        byte[] record = "{\"user_id\":\"user-7\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        String fromBytes = ids.intern(record, 12, 6);
        assertEquals("user-7", fromBytes);
        assertSame(fromBytes, ids.intern(record, 12, 6));
        assertSame(fromBytes, ids.intern("user-7".toCharArray(), 0, 6));
        assertSame(fromBytes, ids.intern(new String("user-7")));
    }
}
