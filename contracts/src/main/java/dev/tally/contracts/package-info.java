/** The messages Tally's services exchange, and the names of the topics and queues that carry them. */
package dev.tally.contracts;
