package io.prune4j.train;

/** Progress callbacks from {@link Trainer}; the command line draws progress bars with them. */
public interface TrainListener {
    TrainListener NONE = new TrainListener() {};

    /** Before the first batch of an epoch, with the number of batches it will run. */
    default void epochStarted(int epoch, int batches) {}

    /** After each training step. */
    default void batchDone(int epoch, int batch) {}

    /** After the epoch's evaluation. */
    default void epochDone(EpochResult result) {}
}
