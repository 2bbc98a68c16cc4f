/** The page-stats consumer, the delivery publisher on AMQP, and the competing webhook workers. */
package dev.tally.alerting.messaging;
