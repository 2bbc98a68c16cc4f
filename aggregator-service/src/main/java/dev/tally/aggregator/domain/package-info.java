/** Aggregation logic shared by the stream and batch paths: pure, no framework. */
package dev.tally.aggregator.domain;
