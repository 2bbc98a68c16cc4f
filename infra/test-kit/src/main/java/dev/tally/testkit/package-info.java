/** What Tally's tests share: the real local stack, a webhook receiver, and Kafka helpers. */
package dev.tally.testkit;
