/** Alert state through a Hibernate Reactive Panache repository; the outbox of webhook deliveries. */
package dev.tally.alerting.store;
