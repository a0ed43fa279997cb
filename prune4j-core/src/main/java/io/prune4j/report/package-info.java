/** Reports: measured model figures and their JSON form. */
package io.prune4j.report;
