package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.backend.cuda.CudaBackend;
import io.prune4j.backend.cuda.CudaRuntime;
import java.util.Locale;

/** Picks a backend by name: {@code cpu}, {@code cuda} or {@code auto}. */
public final class Backends {
    private Backends() {}

    /** The device names {@link #create} accepts. */
    public enum Device {
        CPU, CUDA, AUTO;

        public static Device parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown device '" + s + "': expected cpu, cuda or auto");
            }
        }
    }

    /**
     * Creates the backend for {@code device}. {@code cuda} where there is no usable GPU is a
     * {@link DeviceUnavailableException}, never a silent fall back to the CPU; {@code auto} takes
     * CUDA ({@link CudaBackend}) when a device answers and the CPU otherwise, and callers print which
     * one it chose.
     *
     * @param cpuThreads OpenBLAS threads for the CPU backend (≥ 1)
     */
    public static Backend create(Device device, int cpuThreads) {
        switch (device) {
            case CPU:
                return new CpuBackend(cpuThreads);
            case CUDA:
                return new CudaBackend();
            case AUTO:
            default:
                return CudaRuntime.isAvailable() ? new CudaBackend() : new CpuBackend(cpuThreads);
        }
    }
}
