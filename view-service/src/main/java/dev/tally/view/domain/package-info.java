/** Pure serving logic without a framework: which batch run to serve, the Lambda merge, the drift arithmetic. */
package dev.tally.view.domain;
