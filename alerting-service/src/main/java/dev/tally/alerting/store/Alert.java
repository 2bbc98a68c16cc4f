package dev.tally.alerting.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/** An alert that fired, and whether its deliveries reached the queue yet. */
@Entity
@Table(name = "alert", schema = "alerting")
public class Alert {
    @Id
    public String fingerprint;
    @Column(name = "rule_id")
    public String ruleId;
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
    public String state;
    public double value;
    public double threshold;
    @Column(name = "fired_at")
    public Instant firedAt;
    @Column(name = "enqueued_at")
    public Instant enqueuedAt;
}
