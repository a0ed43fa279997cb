package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Shapes;
import io.prune4j.train.Trainer;
import io.prune4j.train.TrainConfig;
import picocli.CommandLine.Option;

/** Options that shape training (and fine-tuning). */
final class TrainOptions {
    @Option(names = "--arch", paramLabel = "mlp|cnn|resnet|mobilenet", description = "Network to train: mlp (Dense layers), cnn "
            + "(3x3 conv + 2x2 max-pool stages, then Dense layers), resnet (basic residual blocks with BatchNorm, three stages) or "
            + "mobilenet (MobileNetV2 inverted residual blocks: 1x1 expansion, 3x3 depthwise, 1x1 projection, ReLU6) (default: mlp). "
            + "With --model, checks that the file holds one.")
    String arch;

    @Option(names = "--depth", description = "resnet: residual blocks per stage (default: ${DEFAULT-VALUE}).")
    int depth = 1;

    @Option(names = "--width", description = "resnet and mobilenet: channels of the stem, doubled by each resnet stage (default: 16).")
    Integer width;

    @Option(names = "--hidden", paramLabel = "N,N,…", split = ",",
            description = "Hidden Dense layer sizes (default: 300,100 for mlp, 256 for cnn).")
    int[] hidden;

    @Option(names = "--channels", paramLabel = "N,N,…", split = ",",
            description = "cnn only: output channels of each conv stage (default: 64,128).")
    int[] channels;

    @Option(names = "--epochs", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--batch", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Option(names = "--lr", description = "Learning rate (default: 1e-3 for adam; for sgd 0.1 with resnet and mobilenet, 0.05 otherwise).")
    Float lr;

    @Option(names = "--optimizer", paramLabel = "adam|sgd", description = "Optimiser for training (default: sgd for resnet and "
            + "mobilenet, adam otherwise) and for fine-tuning (default: adam).")
    String optimizer;

    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum = 0.9f;

    @Option(names = "--weight-decay", description = "L2 weight decay of training (default: 5e-4 for sgd with resnet and mobilenet, "
            + "0 otherwise) and of fine-tuning (default: 0).")
    Float weightDecay;

    @Option(names = "--augment", description = "Shift training images by up to 2 pixels and mirror them left to right at random, "
            + "a fresh draw each step (training and fine-tuning; image networks).")
    boolean augment;

    @Option(names = "--lr-schedule", paramLabel = "constant|cosine", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    String lrSchedule = "cosine";

    /**
     * The training recipe: what the options say, and for the rest the architecture's defaults. The
     * residual networks with BatchNorm train best with SGD (momentum 0.9, learning rate 0.1 decayed by
     * the cosine, weight decay 5e-4, the usual ResNet recipe): on Fashion-MNIST, 10 epochs, seed 42,
     * the default ResNet reaches 0.9255 with it against 0.9121 with Adam at 1e-3 (docs/figures.md).
     * The MLP and the CNN keep Adam at 1e-3, with which their figures were measured.
     */
    TrainConfig config(long seed) {
        boolean graphArch = arch() == Arch.RESNET || arch() == Arch.MOBILENET;
        TrainConfig.OptimizerKind kind = optimizer != null ? TrainConfig.OptimizerKind.parse(optimizer)
                : graphArch ? TrainConfig.OptimizerKind.SGD : TrainConfig.OptimizerKind.ADAM;
        boolean sgd = kind == TrainConfig.OptimizerKind.SGD;
        float rate = lr != null ? lr : !sgd ? 1e-3f : graphArch ? 0.1f : 0.05f;
        float decay = weightDecay != null ? weightDecay : sgd && graphArch ? 5e-4f : 0f;
        if (epochs < 1) {
            throw new InvalidSettingException("--epochs must be at least 1, got " + epochs);
        }
        try {
            return TrainConfig.builder().optEpochs(epochs).optBatchSize(batch).optLearningRate(rate).optOptimizer(kind)
                    .optMomentum(momentum).optWeightDecay(decay).optLrSchedule(TrainConfig.LrSchedule.parse(lrSchedule))
                    .optSeed(seed).optAugment(augment).build();
        } catch (InvalidSettingException e) {
            throw new InvalidSettingException("training options: " + e.getMessage());
        }
    }

    /** Fine-tuning's optimiser: {@code --optimizer} when given, else Adam (whatever trained the baseline). */
    TrainConfig.OptimizerKind finetuneOptimizer() {
        return optimizer != null ? TrainConfig.OptimizerKind.parse(optimizer) : TrainConfig.OptimizerKind.ADAM;
    }

    /** Fine-tuning's weight decay: {@code --weight-decay} when given, else 0. */
    float finetuneWeightDecay() {
        return weightDecay != null ? weightDecay : 0f;
    }

    /** The architectures {@code --arch} names. */
    enum Arch { MLP, CNN, RESNET, MOBILENET }

    /** MobileNet's stages for 28×28 inputs: output channels and blocks (28 → 14 → 7 → 4). */
    static final int[][] MOBILENET_STAGES = {{16, 1}, {24, 2}, {32, 2}, {48, 2}};
    /** MobileNet's expansion factor (MobileNetV2 uses 6; 4 keeps the 2-core CPU budget). */
    static final int MOBILENET_EXPAND = 4;

    Arch arch() {
        if (arch == null) {
            return Arch.MLP;
        }
        try {
            return Arch.valueOf(arch.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("--arch must be mlp, cnn, resnet or mobilenet, got '" + arch + "'");
        }
    }

    /** The architecture a loaded network has, told apart by its layers. */
    static Arch archOf(Graph net) {
        boolean conv = false;
        boolean depthwise = false;
        boolean add = false;
        for (io.prune4j.nn.Layer l : net.layers()) {
            conv |= l instanceof io.prune4j.nn.Conv2d;
            depthwise |= l instanceof io.prune4j.nn.Conv2d c && c.depthwise();
            add |= l instanceof io.prune4j.nn.Add;
        }
        return depthwise ? Arch.MOBILENET : add ? Arch.RESNET : conv ? Arch.CNN : Arch.MLP;
    }

    int[] hiddenSizes() {
        int[] h = hidden != null ? hidden : cnn() ? new int[] {256} : new int[] {300, 100};
        for (int n : h) {
            if (n < 1) {
                throw new InvalidSettingException("--hidden sizes must be positive, got " + n);
            }
        }
        return h.clone();
    }

    private boolean cnn() {
        return arch() == Arch.CNN;
    }

    /**
     * With an explicit {@code --arch}, checks that a loaded network is of that kind (a CNN has
     * convolutions, an MLP has none).
     */
    void checkLoaded(Graph net, java.nio.file.Path file) {
        if (arch == null) {
            return;
        }
        Arch found = archOf(net);
        if (found != arch()) {
            String name = found.name().toLowerCase(java.util.Locale.ROOT);
            throw new InvalidSettingException(file + ": holds " + (found == Arch.MLP ? "an " : "a ") + name + " (" + net.describe()
                    + ") but --arch " + arch + " was asked for");
        }
    }

    /** Checks the architecture options before any data is read. */
    void validate() {
        Arch a = arch();
        if (a != Arch.RESNET && depth != 1) {
            throw new InvalidSettingException("--depth applies to --arch resnet only");
        }
        if (a != Arch.RESNET && a != Arch.MOBILENET && width != null) {
            throw new InvalidSettingException("--width applies to --arch resnet and mobilenet only");
        }
        if (a == Arch.RESNET || a == Arch.MOBILENET) {
            if (hidden != null || channels != null) {
                throw new InvalidSettingException("--hidden and --channels apply to --arch mlp and cnn; " + arch + " takes --width"
                        + (a == Arch.RESNET ? " and --depth" : ""));
            }
            if (depth < 1 || stemWidth() < 1) {
                throw new InvalidSettingException("--depth and --width must be at least 1, got " + depth + " and " + stemWidth());
            }
            return;
        }
        hiddenSizes();
        if (cnn()) {
            if (hiddenSizes().length != 1) {
                throw new InvalidSettingException("--arch cnn takes one --hidden size (the Dense layer after the convolutions), got "
                        + hiddenSizes().length);
            }
            for (int c : channelSizes()) {
                if (c < 1) {
                    throw new InvalidSettingException("--channels must be positive, got " + c);
                }
            }
        } else if (channels != null) {
            throw new InvalidSettingException("--channels applies to --arch cnn only");
        }
    }

    private int[] channelSizes() {
        return channels != null ? channels.clone() : new int[] {64, 128};
    }

    private int stemWidth() {
        return width != null ? width : 16;
    }

    /** A freshly initialised network of the chosen architecture for examples of {@code sampleShape}. */
    Graph network(Backend backend, int[] sampleShape, int classes, long seed) {
        validate();
        Arch a = arch();
        if ((a == Arch.RESNET || a == Arch.MOBILENET) && sampleShape.length != 3) {
            throw new InvalidSettingException("--arch " + arch + " needs image data ([channels, height, width] per example), but the "
                    + "data's examples are " + java.util.Arrays.toString(sampleShape));
        }
        if (a == Arch.RESNET) {
            return Models.resnet(backend, sampleShape, depth, stemWidth(), classes, seed);
        }
        if (a == Arch.MOBILENET) {
            return Models.mobilenet(backend, sampleShape, stemWidth(), MOBILENET_EXPAND, MOBILENET_STAGES, classes, seed);
        }
        if (!cnn()) {
            int features = 1;
            for (int d : sampleShape) {
                features *= d;
            }
            int[] sizes = hiddenSizes();
            int prev = features;
            for (int h = 0; h <= sizes.length; h++) {
                int out = h < sizes.length ? sizes[h] : classes;
                fits("--hidden " + join(sizes), "fc" + (h + 1) + "'s weights [" + out + ", " + prev + "]", out, prev);
                fits("--hidden " + join(sizes), "fc" + (h + 1) + "'s output for a batch of " + largestBatch(), out, largestBatch());
                prev = out;
            }
            return Models.mlp(backend, features, sizes, classes, seed);
        }
        if (sampleShape.length != 3) {
            throw new InvalidSettingException("--arch cnn needs image data ([channels, height, width] per example), but the data's "
                    + "examples are " + java.util.Arrays.toString(sampleShape));
        }
        int side = Math.min(sampleShape[1], sampleShape[2]);
        int stages = channelSizes().length;
        if (side >> stages < 1) {
            throw new InvalidSettingException("--channels gives " + stages + " conv + pool stages, too many for "
                    + sampleShape[1] + "x" + sampleShape[2] + " images (each halves the size)");
        }
        String options = "--channels " + join(channelSizes()) + " --hidden " + hiddenSizes()[0];
        int prev = sampleShape[0];
        long h = sampleShape[1];
        long w = sampleShape[2];
        int[] cs = channelSizes();
        for (int c = 0; c < cs.length; c++) {
            String conv = "conv" + (c + 1);
            fits(options, conv + "'s weights [" + cs[c] + ", " + prev + ", 3, 3]", cs[c], prev, 9);
            fits(options, conv + "'s output for a batch of " + largestBatch(), largestBatch(), cs[c], h, w);
            fits(options, conv + "'s patch matrix of one example", prev, 9, h, w);
            prev = cs[c];
            h /= 2;
            w /= 2;
        }
        fits(options, "fc1's weights [" + hiddenSizes()[0] + ", " + prev * h * w + "]", hiddenSizes()[0], prev, h, w);
        fits(options, "fc1's output for a batch of " + largestBatch(), hiddenSizes()[0], largestBatch());
        return Models.cnn(backend, sampleShape, channelSizes(), hiddenSizes()[0], classes, seed);
    }

    /**
     * The largest batch a layer of the network will see: training (--batch), evaluation
     * ({@link Trainer#EVAL_BATCH}) or the throughput measurement (256).
     */
    private int largestBatch() {
        return Math.max(batch, Math.max(Trainer.EVAL_BATCH, 256));
    }

    /** Refuses sizes the network would need beyond an int (prune4j's tensors hold fewer than 2^31 elements) as the options' fault. */
    private static void fits(String options, String what, long... factors) {
        try {
            Shapes.intSize(options, what, factors);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(e.getMessage() + " (a tensor holds fewer)");
        }
    }

    private static String join(int[] v) {
        return java.util.Arrays.stream(v).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }
}
