/** PostgreSQL persistence: counts, source offsets and the outbox, changed together per micro-batch. */
package dev.tally.aggregator.store;
