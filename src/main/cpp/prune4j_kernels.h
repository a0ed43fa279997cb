/*
 * prune4j_kernels.h: the one C interface of libprune4j_kernels.so.
 *
 * Conventions (every kernel family added later follows them):
 *  - plain C, extern "C", no CUDA types: streams are passed as void* (a cudaStream_t; 0 / NULL is
 *    the legacy default stream), so the header compiles with any C/C++ compiler (the JavaCPP JNI
 *    glue includes it without the CUDA headers);
 *  - argument order: outputs, inputs, sizes, flags, stream;
 *  - every launcher returns an int that is a cudaError_t code, 0 = success; launches are
 *    asynchronous, so errors raised while a kernel runs surface at the next synchronizing call;
 *  - sizes are int element counts; any size 0 is a no-op returning 0; a negative size or a NULL
 *    pointer for a non-empty problem returns cudaErrorInvalidValue (1);
 *  - matrices are row-major float32 on the device.
 */
#ifndef PRUNE4J_KERNELS_H
#define PRUNE4J_KERNELS_H

/* The library is built with hidden visibility; only what is declared here is exported. */
#if defined(_WIN32)
#define P4J_API
#else
#define P4J_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device / errors (device.cu) ------------------------------------------------------------ */

/* Number of visible CUDA devices into *count (0 on error); returns the cudaGetDeviceCount code. */
P4J_API int p4j_device_count(int* count);
/* cudaGetErrorString / cudaGetErrorName of a code; static strings, never NULL. */
P4J_API const char* p4j_error_string(int code);
P4J_API const char* p4j_error_name(int code);
/* cudaGetLastError(): returns and clears the last non-sticky error. */
P4J_API int p4j_last_error(void);
/* cudaRuntimeGetVersion / cudaDriverGetVersion (1000*major + 10*minor; driver 0 = none). */
P4J_API int p4j_runtime_version(int* version);
P4J_API int p4j_driver_version(int* version);
/* cudaGetDeviceProperties(device): name (NUL-terminated, truncated to name_len), compute
 * capability, global memory bytes, multiprocessor count; any output pointer may be NULL. */
P4J_API int p4j_device_props(int device, char* name, int name_len, int* cc_major, int* cc_minor,
                             long long* total_mem, int* sm_count);
/* cudaDeviceSynchronize / cudaStreamSynchronize. */
P4J_API int p4j_device_synchronize(void);
P4J_API int p4j_stream_synchronize(void* stream);

/* ---- element-wise (elementwise.cu) ---------------------------------------------------------- */

/* In place on y[rows, n]: y[r, c] += bias[c]; then y = max(y, 0) when relu != 0. */
P4J_API int p4j_bias_add(float* y, const float* bias, int rows, int n, int relu, void* stream);

/* ---- scoring (scoring.cu) -------------------------------------------------------------------- */

/* Fused activation x gradient accumulation over a, g [batch, units, spatial] (spatial = 1 for dense
 * layers): acc[n] += scale * |sum_b mean_s a*g|, or with abs_inside scale * sum_b |mean_s a*g|.
 * Deterministic; matches the CPU backend's taylorAccumulate bit for bit. */
P4J_API int p4j_taylor_accumulate(float* acc, const float* a, const float* g, int batch, int units,
                                  int spatial, int abs_inside, float scale, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* PRUNE4J_KERNELS_H */
