/** The HTTP endpoints and their problem+json errors. */
package dev.tally.ingest.rest;
