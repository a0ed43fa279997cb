package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.Loss;
import java.util.Objects;

/**
 * Knowledge distillation from the unpruned model while fine-tuning (Hinton, Vinyals &amp; Dean,
 * "Distilling the Knowledge in a Neural Network", 2015): the pruned student learns from the
 * teacher's softened outputs as well as from the labels. See {@code Backend#distillation}.
 */
public final class Distillation implements Loss, AutoCloseable {
    private final Graph teacher;
    private final float temperature;
    private final float alpha;

    /**
     * A distillation loss; usable as a {@link io.prune4j.train.Trainer}'s loss ({@code setLoss}).
     *
     * @param teacher     the unpruned model, on the student's backend; owned from now on, closed by {@link #close()}
     * @param temperature the softening temperature T, a finite number &gt; 0
     * @param alpha       the weight α of the distillation term, in [0, 1] (the labels' cross-entropy gets 1 − α)
     * @throws InvalidSettingException when {@code temperature} or {@code alpha} is out of range
     */
    public Distillation(Graph teacher, float temperature, float alpha) {
        Objects.requireNonNull(teacher, "teacher");
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new InvalidSettingException("distillation temperature must be a positive number, got " + temperature);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new InvalidSettingException("distillation weight must be in [0, 1], got " + alpha);
        }
        this.teacher = teacher;
        this.temperature = temperature;
        this.alpha = alpha;
    }

    @Override
    public void apply(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, Tensor inputs, float gradScale) {
        Tensor t = teacher.forward(inputs, false);
        logits.backend().distillation(gradLogits, metrics, logits, t, labels, temperature, alpha, gradScale);
    }

    /** Closes the teacher. */
    @Override
    public void close() {
        teacher.close();
    }
}
