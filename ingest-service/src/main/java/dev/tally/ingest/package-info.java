/** ingest-service: the HTTP collector in front of the {@code clicks} log. */
package dev.tally.ingest;
