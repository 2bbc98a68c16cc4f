/** view-service: the serving layer, materialized views of the derived topics. */
package dev.tally.view;
