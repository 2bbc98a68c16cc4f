/** alerting-service: rules over page-stats, alert state, and webhook delivery. */
package dev.tally.alerting;
