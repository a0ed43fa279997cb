package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns per-layer scores into per-layer keep masks (0/1 FLOAT32, shaped like the scores).
 *
 * <p>Scores are first normalised per layer ({@link Normalization}); entries already pruned (0 in a
 * prior mask) are set to −∞ so they are never kept again. Then, either over each layer on its own
 * ({@link Scope#LAYER}, the same ratio everywhere) or over all layers at once ({@link Scope#GLOBAL}),
 * a k-th-value selection ({@link Backend#selectTopK}) keeps
 * <ul>
 *   <li>{@link Mode#RATIO}: all but {@code round(sparsity · reference size)} entries,</li>
 *   <li>{@link Mode#THRESHOLD}: the entries whose normalised score is at least τ,</li>
 *   <li>{@link Mode#COUNT}: exactly k entries (per layer, or in total).</li>
 * </ul>
 * Guards then apply per layer: at least {@code minKeep} entries (default 1, so no layer is emptied)
 * and at most {@code maxPruneRatio} of the layer's reference size removed; under global scope a
 * guard can only add entries back (the layer's best), so the total may exceed the request. Ties go
 * to the lower index (in layer order, for global scope), so a seed fixes the result.
 */
public final class Ranking {
    /** Where a target applies: to each layer (group) on its own, or to all of them at once. */
    public enum Scope {
        /** One selection over the normalised scores of all layers together. */
        GLOBAL,
        /** The same target in every layer, each selected on its own. */
        LAYER;

        /**
         * The scope named {@code s}, ignoring case and surrounding blanks.
         *
         * @param s {@code global} or {@code layer}
         * @return the scope
         * @throws InvalidSettingException when {@code s} names neither
         */
        public static Scope parse(String s) {
            Objects.requireNonNull(s, "s");
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown scope '" + s + "': expected global or layer");
            }
        }
    }

    /** What a {@link Config}'s {@code value} is. */
    public enum Mode {
        /** A sparsity: the fraction of the reference size to remove. */
        RATIO,
        /** A threshold τ: entries whose normalised score is at least τ stay. */
        THRESHOLD,
        /** A count: the entries to keep, per layer or in total. */
        COUNT
    }

    /**
     * How to select: scope, normalisation, target and guards.
     *
     * @param scope         per layer or global; not null
     * @param normalization how each layer's scores are normalised before the selection; not null
     * @param mode          what {@code value} is; not null
     * @param value         sparsity in [0, 1) for RATIO, τ (finite) for THRESHOLD, entries to keep (a whole number ≥ 1) for COUNT
     * @param minKeep       entries every layer keeps at least (≥ 1)
     * @param maxPruneRatio largest fraction of a layer's reference size that may be removed, in (0, 1]
     */
    public record Config(Scope scope, Normalization normalization, Mode mode, double value, int minKeep, double maxPruneRatio) {
        /**
         * Checks the configuration.
         *
         * @param scope         per layer or global; not null
         * @param normalization how each layer's scores are normalised before the selection; not null
         * @param mode          what {@code value} is; not null
         * @param value         sparsity in [0, 1) for RATIO, τ (finite) for THRESHOLD, entries to keep (a whole number ≥ 1) for COUNT
         * @param minKeep       entries every layer keeps at least (≥ 1)
         * @param maxPruneRatio largest fraction of a layer's reference size that may be removed, in (0, 1]
         * @throws InvalidSettingException when a component is null or out of its range; the message names it
         */
        public Config {
            if (scope == null || normalization == null || mode == null) {
                throw new InvalidSettingException("ranking needs a scope, a normalisation and a mode");
            }
            switch (mode) {
                case RATIO -> {
                    if (!(value >= 0 && value < 1)) {
                        throw new InvalidSettingException("sparsity must be in [0, 1), got " + value);
                    }
                }
                case THRESHOLD -> {
                    if (!Double.isFinite(value)) {
                        throw new InvalidSettingException("threshold must be a finite number, got " + value);
                    }
                }
                case COUNT -> {
                    if (!(value >= 1) || value != Math.rint(value)) {
                        throw new InvalidSettingException("keep count must be a whole number ≥ 1, got " + value);
                    }
                }
            }
            if (minKeep < 1) {
                throw new InvalidSettingException("minimum kept per layer must be at least 1, got " + minKeep);
            }
            if (!(maxPruneRatio > 0 && maxPruneRatio <= 1)) {
                throw new InvalidSettingException("maximum per-layer pruning ratio must be in (0, 1], got " + maxPruneRatio);
            }
        }

        /**
         * A sparsity target with the default guards (at least 1 entry kept per layer, no cap on the ratio).
         *
         * @param scope    per layer or global
         * @param norm     the score normalisation
         * @param sparsity the fraction to remove, in [0, 1)
         * @return the configuration
         * @throws InvalidSettingException when an argument is null or {@code sparsity} is outside [0, 1)
         */
        public static Config ratio(Scope scope, Normalization norm, double sparsity) {
            return new Config(scope, norm, Mode.RATIO, sparsity, 1, 1.0);
        }

        /**
         * The same configuration with another value (as each round of a schedule needs its own target).
         *
         * @param v the new value, in the range {@code mode} asks for
         * @return the configuration
         * @throws InvalidSettingException when {@code v} is out of range for the mode
         */
        public Config withValue(double v) {
            return new Config(scope, normalization, mode, v, minKeep, maxPruneRatio);
        }
    }

    private Ranking() {}

    /**
     * Selects what stays in every layer, as the class comment describes.
     *
     * @param scores         one tensor per layer; normalised and masked in place
     * @param prior          per layer the mask of what is still there (or null for a layer with none), or null
     *                       (nothing pruned yet)
     * @param referenceSizes per layer the size a ratio refers to (the original size, before any round)
     * @param cfg            the target and guards
     * @return keep masks, one per layer, owned by the caller (empty for no layers)
     * @throws InvalidSettingException when a COUNT target is larger than a layer (layer scope) or all layers (global scope)
     */
    public static List<Tensor> select(List<Tensor> scores, List<Tensor> prior, int[] referenceSizes, Config cfg) {
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(referenceSizes, "referenceSizes");
        Objects.requireNonNull(cfg, "cfg");
        int layers = scores.size();
        if (layers == 0) {
            return List.of();
        }
        Backend b = scores.get(0).backend();
        int[] available = new int[layers];
        int[] floor = new int[layers];
        // what earlier rounds left (masks only exist where they pruned without compacting), one copy for all layers
        int[] priorCounts = prior == null || prior.stream().allMatch(Objects::isNull) ? null : counts(b, prior);
        for (int l = 0; l < layers; l++) {
            Tensor s = scores.get(l);
            b.normalize(s, cfg.normalization());
            available[l] = s.size();
            if (prior != null && prior.get(l) != null) {
                b.maskedFill(s, prior.get(l), Float.NEGATIVE_INFINITY);
                available[l] = priorCounts[l];
            }
            int guard = (int) Math.ceil(referenceSizes[l] * (1 - cfg.maxPruneRatio()) - 1e-9);
            floor[l] = Math.min(available[l], Math.max(cfg.minKeep(), guard));
        }
        List<Tensor> masks = new ArrayList<>();
        for (Tensor s : scores) {
            masks.add(b.zeros(DType.FLOAT32, s.shape()));
        }
        if (cfg.scope() == Scope.LAYER) {
            for (int l = 0; l < layers; l++) {
                Tensor s = scores.get(l);
                int keep = switch (cfg.mode()) {
                    case RATIO -> referenceSizes[l] - (int) Math.round(cfg.value() * referenceSizes[l]);
                    case THRESHOLD -> b.countAtLeast(s, (float) cfg.value());
                    case COUNT -> checkedCount(cfg.value(), s.size(), "layer " + l);
                };
                keep = Math.max(floor[l], Math.min(keep, available[l]));
                b.selectTopK(masks.get(l), s, keep);
            }
            return masks;
        }
        int total = 0;
        int totalRef = 0;
        int totalAvailable = 0;
        for (int l = 0; l < layers; l++) {
            total += scores.get(l).size();
            totalRef += referenceSizes[l];
            totalAvailable += available[l];
        }
        try (Tensor all = b.zeros(DType.FLOAT32, total);
             Tensor allMask = b.zeros(DType.FLOAT32, total)) {
            int offset = 0;
            for (Tensor s : scores) {
                b.copyRange(all, offset, s, 0, s.size());
                offset += s.size();
            }
            int keep = switch (cfg.mode()) {
                case RATIO -> totalRef - (int) Math.round(cfg.value() * totalRef);
                case THRESHOLD -> b.countAtLeast(all, (float) cfg.value());
                case COUNT -> checkedCount(cfg.value(), total, "all layers");
            };
            b.selectTopK(allMask, all, Math.min(keep, totalAvailable));
            offset = 0;
            for (int l = 0; l < layers; l++) {
                Tensor m = masks.get(l);
                b.copyRange(m, 0, allMask, offset, m.size());
                offset += m.size();
            }
            // The guard: a layer left with fewer than floor[l] units keeps its floor[l] best instead. The global
            // choice restricted to one layer is that layer's best m (same order, same tie rule), so "m < floor ?
            // best floor : best m" is the union of the mask with the layer's best floor[l]: done on the device,
            // no count comes back.
            for (int l = 0; l < layers; l++) {
                if (floor[l] > 0) {
                    Tensor m = masks.get(l);
                    try (Tensor best = b.zeros(DType.FLOAT32, m.shape());
                         Tensor both = b.zeros(DType.FLOAT32, m.shape())) {
                        b.selectTopK(best, scores.get(l), floor[l]);
                        b.copy(both, best);
                        b.mul(both, m);              // m·best
                        b.axpy(m, 1f, best);         // m + best
                        b.axpy(m, -1f, both);        // m + best − m·best: the union of two 0/1 masks
                    }
                }
            }
        }
        return masks;
    }

    private static int checkedCount(double value, int size, String where) {
        if (value > size) {
            throw new InvalidSettingException("keep count " + (long) value + " is larger than " + where + " (" + size + ")");
        }
        return (int) value;
    }

    /** Counts are summed in double and returned as float: exact up to 2^24, so longer masks are summed in pieces. */
    static final int EXACT_FLOAT_COUNT = 1 << 24;

    /**
     * Non-zero entries of each 0/1 mask (0 for a null entry), summed on the device and read with
     * one copy for all of them.
     */
    static int[] counts(Backend b, List<Tensor> masks) {
        int n = masks.size();
        int slots = 0;
        for (Tensor m : masks) {
            slots += m == null ? 0 : pieces(m);
        }
        int[] c = new int[n];
        if (slots == 0) {
            return c;
        }
        try (Tensor sums = b.zeros(DType.FLOAT32, slots);
             Tensor one = b.zeros(DType.FLOAT32, 1)) {
            int slot = 0;
            for (Tensor m : masks) {
                if (m == null) {
                    continue;
                }
                if (m.size() <= EXACT_FLOAT_COUNT) {
                    b.sum(one, m);
                    b.copyRange(sums, slot++, one, 0, 1);
                    continue;
                }
                try (Tensor piece = b.zeros(DType.FLOAT32, EXACT_FLOAT_COUNT)) {
                    for (int off = 0; off < m.size(); off += EXACT_FLOAT_COUNT) {
                        int len = Math.min(EXACT_FLOAT_COUNT, m.size() - off);
                        if (len < EXACT_FLOAT_COUNT) {
                            b.fill(piece, 0f);
                        }
                        b.copyRange(piece, 0, m, off, len);
                        b.sum(one, piece);
                        b.copyRange(sums, slot++, one, 0, 1);
                    }
                }
            }
            float[] f = b.toFloatArray(sums);
            slot = 0;
            for (int l = 0; l < n; l++) {
                Tensor m = masks.get(l);
                if (m == null) {
                    continue;
                }
                long total = 0;
                for (int k = pieces(m); k > 0; k--) {
                    total += Math.round(f[slot++]);
                }
                c[l] = (int) total;
            }
            return c;
        }
    }

    /** How many sums of at most {@link #EXACT_FLOAT_COUNT} entries count {@code mask} (one for an empty mask). */
    private static int pieces(Tensor mask) {
        return Math.max(1, (mask.size() + EXACT_FLOAT_COUNT - 1) / EXACT_FLOAT_COUNT);
    }

    /** Number of non-zero entries of a 0/1 mask (one scalar read). */
    static int count(Backend b, Tensor mask) {
        return counts(b, java.util.Collections.singletonList(mask))[0];
    }
}
