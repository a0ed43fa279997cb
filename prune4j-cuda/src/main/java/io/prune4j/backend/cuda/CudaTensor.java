package io.prune4j.backend.cuda;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/**
 * A tensor in device memory: FLOAT32 or INT32, row-major, owned by a {@link DeviceBuffer}. A view
 * ({@link CudaBackend#reshape}) shares its owner's buffer and frees nothing when closed; using a
 * view after its owner was closed is an {@link IllegalStateException} (the buffer knows it is closed).
 */
final class CudaTensor extends Tensor {
    private final CudaBackend backend;
    private final DeviceBuffer buffer;
    private final boolean view;
    private boolean closed;

    CudaTensor(CudaBackend backend, DeviceBuffer buffer, boolean view, DType dtype, int... shape) {
        super(dtype, shape);
        this.backend = backend;
        this.buffer = buffer;
        this.view = view;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /** The device address of element 0. */
    long address() {
        if (closed) {
            throw new IllegalStateException(this + " was closed");
        }
        return buffer.address();
    }

    /** The device address of element {@code index} (4-byte elements). */
    long address(long index) {
        return address() + 4L * index;
    }

    DeviceBuffer buffer() {
        return buffer;
    }

    boolean isView() {
        return view;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!view) {
            backend.free(buffer);
        }
    }
}
