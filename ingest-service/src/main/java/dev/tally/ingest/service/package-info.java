/** The ingestion flow: admission, validation, deduplication, writing, and the answer per event. */
package dev.tally.ingest.service;
