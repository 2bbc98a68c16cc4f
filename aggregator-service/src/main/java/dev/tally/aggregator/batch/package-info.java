/** The batch layer: deterministic jobs over a bounded snapshot of the log. */
package dev.tally.aggregator.batch;
