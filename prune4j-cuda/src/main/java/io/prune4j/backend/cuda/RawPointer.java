package io.prune4j.backend.cuda;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP {@link Pointer} at a raw address, owning nothing: how device memory held as addresses
 * ({@link DeviceBuffer}) and our stream are handed to the bytedeco cuBLAS and cuDNN bindings, whose
 * methods take {@code Pointer}s.
 */
final class RawPointer extends Pointer {
    RawPointer(long address) {
        this.address = address;
    }
}
