/** Training: the mini-batch loop, its configuration, device-resident data and metrics. */
package io.prune4j.train;
