/** The query API and its problem+json errors. */
package dev.tally.view.rest;
