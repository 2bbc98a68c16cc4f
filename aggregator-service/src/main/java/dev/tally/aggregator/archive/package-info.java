/** The archiver: the clicks log copied to immutable, rotated JSONL files that the batch job can read. */
package dev.tally.aggregator.archive;
