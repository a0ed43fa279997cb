package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.Loss;

/**
 * Knowledge distillation from the unpruned model while fine-tuning (Hinton, Vinyals &amp; Dean,
 * "Distilling the Knowledge in a Neural Network", 2015): the pruned student learns from the
 * teacher's softened outputs as well as from the labels. See {@code Backend#distillation}.
 */
public final class Distillation implements Loss, AutoCloseable {
    private final Graph teacher;
    private final float temperature;
    private final float alpha;

    /** Takes ownership of {@code teacher}. */
    public Distillation(Graph teacher, float temperature, float alpha) {
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

    @Override
    public void close() {
        teacher.close();
    }
}
