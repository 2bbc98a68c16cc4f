/** On-demand benchmarks: the ingest load generator and the Kafka reference it is compared with, in one run. */
package dev.tally.bench;
