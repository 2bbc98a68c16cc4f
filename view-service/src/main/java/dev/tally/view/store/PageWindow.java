package dev.tally.view.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** The newest known totals of one page in one window: a row of the serving table. */
@Entity
@Table(name = "page_window", schema = "view")
public class PageWindow {
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
}
