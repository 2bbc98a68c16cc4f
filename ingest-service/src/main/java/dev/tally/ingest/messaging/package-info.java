/** Publishers to the {@code clicks} and {@code clicks.invalid} topics. */
package dev.tally.ingest.messaging;
