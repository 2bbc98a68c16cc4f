/** The comparison of the batch view with the speed layer: reports on request, and the drift as gauges. */
package dev.tally.view.reconciliation;
