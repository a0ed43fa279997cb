package io.prune4j.train;

import io.prune4j.Prune4jException;
import java.util.Objects;

/**
 * Training diverged: in {@link #epoch()}, {@link #what()} (the training loss, a parameter, the test
 * loss) became NaN or infinite. When {@link Trainer#fit} throws it, the weights have already been
 * restored to the end of epoch {@link #restoredEpoch()} (0: the weights before the first epoch).
 * The message says all of this on one line and what to try.
 */
public class TrainingDivergedException extends Prune4jException {
    /** The epoch (from 1) in which training diverged. */
    private final int epoch;
    /** What turned non-finite. */
    private final String what;
    /** The non-finite value. */
    private final double value;
    /** The configured learning rate. */
    private final float learningRate;
    /** The epoch whose weights were restored, 0 for those before training, −1 for none. */
    private final int restoredEpoch;

    /**
     * A divergence before any weights were restored ({@link #restoredEpoch()} −1).
     *
     * @param epoch        the epoch (from 1) in which training diverged
     * @param what         what turned non-finite, e.g. {@code the training loss}; not null
     * @param value        the non-finite value
     * @param learningRate the learning rate the run was configured with
     */
    public TrainingDivergedException(int epoch, String what, double value, float learningRate) {
        this(epoch, what, value, learningRate, -1);
    }

    private TrainingDivergedException(int epoch, String what, double value, float learningRate, int restoredEpoch) {
        super(message(epoch, Objects.requireNonNull(what, "what"), value, learningRate, restoredEpoch));
        this.epoch = epoch;
        this.what = what;
        this.value = value;
        this.learningRate = learningRate;
        this.restoredEpoch = restoredEpoch;
    }

    /**
     * The same divergence, after the weights were restored to the end of epoch {@code restored}; the
     * stack trace is this exception's.
     *
     * @param restored the epoch whose weights were restored, 0 for those before the first epoch
     * @return a new exception whose message says what was restored
     */
    public TrainingDivergedException restored(int restored) {
        TrainingDivergedException e = new TrainingDivergedException(epoch, what, value, learningRate, restored);
        e.setStackTrace(getStackTrace());
        return e;
    }

    private static String message(int epoch, String what, double value, float learningRate, int restored) {
        String weights = restored < 0 ? "" : restored == 0 ? "; the weights from before epoch 1 were restored"
                : "; the weights from the end of epoch " + restored + " (the last good one) were restored";
        return what + " became " + value + " in epoch " + epoch + weights + "; lower the learning rate (now " + learningRate + ")";
    }

    /**
     * The epoch (from 1) in which training diverged.
     *
     * @return the epoch
     */
    public int epoch() {
        return epoch;
    }

    /**
     * What turned non-finite, e.g. {@code the training loss} or {@code the weight of layer 2 (Dense(32→16, relu))}.
     *
     * @return the description
     */
    public String what() {
        return what;
    }

    /**
     * The non-finite value (NaN or ±infinity).
     *
     * @return the value
     */
    public double value() {
        return value;
    }

    /**
     * The learning rate the run was configured with.
     *
     * @return the learning rate
     */
    public float learningRate() {
        return learningRate;
    }

    /**
     * The epoch whose weights were restored (0: those before training), or −1 when nothing was restored.
     *
     * @return the restored epoch, or −1
     */
    public int restoredEpoch() {
        return restoredEpoch;
    }
}
