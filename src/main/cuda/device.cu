// Device queries and error helpers. None of these abort: with no driver or no GPU they return the
// CUDA error code (typically cudaErrorInsufficientDriver or cudaErrorNoDevice).
#include "common.cuh"
#include "prune4j_kernels.h"

extern "C" int p4j_device_count(int* count) {
    if (count == nullptr) return (int)cudaErrorInvalidValue;
    *count = 0;
    int c = 0;
    cudaError_t err = cudaGetDeviceCount(&c);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky-free last error so later calls start clean
        return (int)err;
    }
    *count = c;
    return (int)cudaSuccess;
}

extern "C" const char* p4j_error_string(int code) {
    return cudaGetErrorString((cudaError_t)code);
}

extern "C" const char* p4j_error_name(int code) {
    return cudaGetErrorName((cudaError_t)code);
}

extern "C" int p4j_last_error(void) {
    return (int)cudaGetLastError();
}

extern "C" int p4j_runtime_version(int* version) {
    if (version == nullptr) return (int)cudaErrorInvalidValue;
    *version = 0;
    return (int)cudaRuntimeGetVersion(version);
}

extern "C" int p4j_driver_version(int* version) {
    if (version == nullptr) return (int)cudaErrorInvalidValue;
    *version = 0;
    return (int)cudaDriverGetVersion(version);
}

extern "C" int p4j_device_synchronize(void) {
    return (int)cudaDeviceSynchronize();
}

extern "C" int p4j_stream_synchronize(void* stream) {
    return (int)cudaStreamSynchronize(p4j::as_stream(stream));
}

extern "C" int p4j_device_props(int device, char* name, int name_len, int* cc_major,
                                int* cc_minor, long long* total_mem, int* sm_count) {
    cudaDeviceProp prop;
    cudaError_t err = cudaGetDeviceProperties(&prop, device);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return (int)err;
    }
    if (name != nullptr && name_len > 0) {
        int i = 0;
        for (; i < name_len - 1 && prop.name[i] != '\0' && i < (int)sizeof(prop.name); ++i)
            name[i] = prop.name[i];
        name[i] = '\0';
    }
    if (cc_major) *cc_major = prop.major;
    if (cc_minor) *cc_minor = prop.minor;
    if (total_mem) *total_mem = (long long)prop.totalGlobalMem;
    if (sm_count) *sm_count = prop.multiProcessorCount;
    return (int)cudaSuccess;
}
