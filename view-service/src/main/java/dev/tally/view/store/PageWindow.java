package dev.tally.view.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.time.Instant;

/** The newest known totals of one page in one window, in one view version: a row of the serving table. */
@Entity
@Table(name = "page_window", schema = "view")
@IdClass(PageWindow.Key.class)
public class PageWindow {
    @Id
    @Column(name = "view_version")
    public int viewVersion;
    @Id
    @Column(name = "result_key")
    public String resultKey;
    @Column(name = "page_id")
    public String pageId;
    @Column(name = "window_kind")
    public String windowKind;
    @Column(name = "window_size")
    public String windowSize;
    @Column(name = "window_start")
    public Instant windowStart;
    @Column(name = "window_end")
    public Instant windowEnd;
    public long views;
    @Column(name = "unique_users")
    public long uniqueUsers;
    public long version;
    @Column(name = "is_final")
    public boolean isFinal;
    @Column(name = "updated_at")
    public Instant updatedAt;

    /** The primary key: the view version and the page-stats key. */
    public static class Key implements java.io.Serializable {
        public int viewVersion;
        public String resultKey;

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.viewVersion == viewVersion && java.util.Objects.equals(k.resultKey,
                    resultKey);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(viewVersion, resultKey);
        }
    }
}
