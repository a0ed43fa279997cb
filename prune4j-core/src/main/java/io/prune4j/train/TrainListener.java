package io.prune4j.train;

/**
 * Progress callbacks from {@link Trainer}; the command line draws progress bars with them. Every
 * method does nothing by default. They run on the training thread, between steps.
 */
public interface TrainListener {
    /** A listener that does nothing; what a null listener means to {@link Trainer#fit}. */
    TrainListener NONE = new TrainListener() {};

    /**
     * Before the first batch of an epoch, with the number of batches it will run.
     *
     * @param epoch   the epoch's number (from 1 in {@link Trainer#fit})
     * @param batches the training steps the epoch will take
     */
    default void epochStarted(int epoch, int batches) {}

    /**
     * After each training step.
     *
     * @param epoch the epoch's number
     * @param batch the step's index within the epoch, from 0
     */
    default void batchDone(int epoch, int batch) {}

    /**
     * After the epoch's evaluation.
     *
     * @param result what the epoch did; its {@link EpochResult#test() test} metrics are null without a test set
     */
    default void epochDone(EpochResult result) {}
}
