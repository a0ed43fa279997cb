package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import io.prune4j.Version;
import io.prune4j.backend.cpu.CpuBackend;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Picks a backend by device: the CPU backend of this artifact, or one that another artifact
 * provides through {@link BackendProvider} (CUDA: {@code io.prune4j:prune4j-cuda}).
 */
public final class Backends {
    private Backends() {}

    /** The device names {@link #create} accepts. */
    public enum Device {
        /** The CPU backend ({@link CpuBackend}), always available. */
        CPU,
        /** An NVIDIA GPU; needs {@code prune4j-cuda} on the class path. */
        CUDA,
        /** CUDA when a provider is on the class path and a device answers, the CPU otherwise. */
        AUTO;

        /**
         * Parses a device name, ignoring case and surrounding blanks.
         *
         * @param s {@code cpu}, {@code cuda} or {@code auto}
         * @return the device
         * @throws InvalidSettingException for any other name
         * @throws NullPointerException when {@code s} is null
         */
        public static Device parse(String s) {
            Objects.requireNonNull(s, "s");
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown device '" + s + "': expected cpu, cuda or auto");
            }
        }
    }

    /**
     * Creates the backend for {@code device}; the caller owns it and closes it. {@code CUDA} where
     * there is no usable GPU, or without {@code prune4j-cuda} on the class path, is a
     * {@link DeviceUnavailableException}, never a silent fall back to the CPU; {@code AUTO} takes
     * CUDA when a device answers and the CPU otherwise (callers print which one it chose, from
     * {@link Backend#name()}).
     *
     * @param device the device
     * @param cpuThreads threads of the CPU backend (≥ 1; unused for other devices)
     * @return a new backend
     * @throws DeviceUnavailableException when the device cannot be used
     * @throws NullPointerException when {@code device} is null
     */
    public static Backend create(Device device, int cpuThreads) {
        Objects.requireNonNull(device, "device");
        switch (device) {
            case CPU:
                return new CpuBackend(cpuThreads);
            case AUTO: {
                Optional<BackendProvider> cuda = provider(Device.CUDA);
                return cuda.isPresent() && cuda.get().isAvailable() ? cuda.get().create() : new CpuBackend(cpuThreads);
            }
            default:
                return provider(device).orElseThrow(() -> new DeviceUnavailableException(
                        "no " + device.name() + " backend: prune4j-" + device.name().toLowerCase(Locale.ROOT)
                                + " is not on the class path (add the Maven artifact io.prune4j:prune4j-"
                                + device.name().toLowerCase(Locale.ROOT) + ":" + Version.get() + ")"))
                        .create();
        }
    }

    /**
     * Whether {@code device} could be used now: always for the CPU, for CUDA when
     * {@code prune4j-cuda} is on the class path and a device answers. Never throws.
     *
     * @param device the device; {@code AUTO} is always available
     * @return whether {@link #create} would give a backend on it
     */
    public static boolean isAvailable(Device device) {
        if (device == Device.CPU || device == Device.AUTO) {
            return true;
        }
        try {
            return provider(device).map(BackendProvider::isAvailable).orElse(false);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static Optional<BackendProvider> provider(Device device) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            if (p.device() == device) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
