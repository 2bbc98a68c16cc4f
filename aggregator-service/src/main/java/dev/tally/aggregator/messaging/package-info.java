/**
 * The stream engine: per view version, stage 1 ({@code clicks} to {@code page-partials}) and stage 2 (to
 * {@code page-stats}), each fed by its own consumer that restores state and offsets on assignment; the versions'
 * life (a Kappa replay beside the serving version, the switch, the drop); and the publisher of derived records.
 */
package dev.tally.aggregator.messaging;
