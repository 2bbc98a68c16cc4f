package dev.tally.aggregator.domain;

/**
 * Events read into a small array of {@link ClickFields} and counted into a {@link DailyCounts} a batch at a time
 * ({@link DailyCounts#addAll}): parse into {@link #next()}, call {@link #added()} if it was readable, and
 * {@link #flush()} before the bytes the events were read from are reused (ids that are plain ASCII are read where
 * the parse found them).
 */
public final class ClickBatch {
    private final ClickFields[] fields;
    private final DailyCounts counts;
    private int size;

    public ClickBatch(DailyCounts counts, int capacity) {
        this.counts = counts;
        this.fields = new ClickFields[capacity];
        for (int i = 0; i < capacity; i++) {
            fields[i] = new ClickFields();
        }
    }

    /** The fields to parse the next event into. */
    public ClickFields next() {
        return fields[size];
    }

    /** The event parsed into {@link #next()} is readable: it joins the batch, which is counted once full. */
    public void added() {
        if (++size == fields.length) {
            flush();
        }
    }

    /** Counts the events of the batch. */
    public void flush() {
        counts.addAll(fields, size);
        size = 0;
    }
}
