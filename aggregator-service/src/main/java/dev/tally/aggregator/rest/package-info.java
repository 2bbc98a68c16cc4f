/** The admin API of aggregator-service: batch runs, and the problem documents its errors answer with. */
package dev.tally.aggregator.rest;
