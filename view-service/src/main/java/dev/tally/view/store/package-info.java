/** Serving tables, through Hibernate Reactive Panache repositories. */
package dev.tally.view.store;
