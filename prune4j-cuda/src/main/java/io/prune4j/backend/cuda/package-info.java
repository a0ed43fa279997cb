/**
 * The CUDA side of prune4j: {@link io.prune4j.backend.cuda.CudaBackend} (the {@code Backend} on a
 * GPU: device tensors, one stream, our kernels, cuBLAS for matrix products and cuDNN for
 * convolutions, both through the bytedeco presets and loaded on first use),
 * {@link io.prune4j.backend.cuda.CudaRuntime} (is there a usable GPU, and if not, why),
 * {@link io.prune4j.backend.cuda.CudaKernels} (the JavaCPP binding of the hand-written kernels in
 * {@code src/main/cuda}, declared in {@code src/main/cpp/prune4j_kernels.h}),
 * {@link io.prune4j.backend.cuda.DeviceBuffer} (owned device memory) and
 * {@link io.prune4j.backend.cuda.CudaException} (nonzero {@code cudaError_t} codes; cuBLAS and cuDNN
 * statuses as {@link io.prune4j.backend.cuda.CudaLibraryException}).
 *
 * <p>The native libraries are built by the Maven profile {@code native} (on when
 * {@code /usr/local/cuda/bin/nvcc} exists): CMake builds {@code libprune4j_kernels.so}, the
 * JavaCPP plugin generates {@code libjniCudaKernels.so}, and both land in the jar under
 * {@code io/prune4j/backend/cuda/linux-x86_64/}.
 */
package io.prune4j.backend.cuda;
