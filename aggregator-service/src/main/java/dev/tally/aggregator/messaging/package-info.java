/** The {@code clicks} consumer, its offset-restoring rebalance listener, and the {@code page-stats} publisher. */
package dev.tally.aggregator.messaging;
