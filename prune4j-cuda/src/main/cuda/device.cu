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

// ---- memory, streams, events ---------------------------------------------------------------------
//
// Thin wrappers so that Java code (DeviceBuffer, the GPU tests and benchmarks) needs only this
// library, built against the same CUDA runtime as the kernels, and no second CUDA binding.

extern "C" int p4j_malloc(void** ptr, long long bytes) {
    if (ptr == nullptr || bytes < 0) return (int)cudaErrorInvalidValue;
    *ptr = nullptr;
    cudaError_t err = cudaMalloc(ptr, (size_t)(bytes > 0 ? bytes : 1));
    if (err != cudaSuccess) {
        *ptr = nullptr;
        (void)cudaGetLastError();  // an allocation failure is not sticky: later calls start clean
    }
    return (int)err;
}

extern "C" int p4j_free(void* ptr) {
    return (int)cudaFree(ptr);
}

// ---- stream-ordered memory (a pool of the CUDA backend's own) -------------------------------------
//
// cudaFree waits for the whole device before it returns memory; cudaFreeAsync queues the free on a
// stream, behind the work that may still use the memory, and returns at once, and an allocation later
// on the same stream may take that memory straight away. The pool is the backend's own (not the
// device's default pool, which other libraries in the process share), with a release threshold of
// UINT64_MAX: what is freed stays reserved for the backend's next allocations instead of going back to
// the driver at every synchronisation (what the default threshold of 0 does), until it trims the pool
// or destroys it.

extern "C" int p4j_mem_pool_create(void** pool, int device) {
    if (pool == nullptr) return (int)cudaErrorInvalidValue;
    *pool = nullptr;
    int supported = 0;
    cudaError_t err = cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return (int)err;
    }
    if (!supported) return (int)cudaErrorNotSupported;
    cudaMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = cudaMemAllocationTypePinned;
    props.handleTypes = cudaMemHandleTypeNone;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    cudaMemPool_t p = nullptr;
    err = cudaMemPoolCreate(&p, &props);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return (int)err;
    }
    unsigned long long threshold = ~0ull;   // the attribute's type is cuuint64_t
    err = cudaMemPoolSetAttribute(p, cudaMemPoolAttrReleaseThreshold, &threshold);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        cudaMemPoolDestroy(p);
        return (int)err;
    }
    *pool = (void*)p;
    return (int)cudaSuccess;
}

extern "C" int p4j_mem_pool_destroy(void* pool) {
    if (pool == nullptr) return (int)cudaSuccess;
    return (int)cudaMemPoolDestroy((cudaMemPool_t)pool);
}

extern "C" int p4j_mem_pool_trim(void* pool, long long keep_bytes) {
    if (pool == nullptr || keep_bytes < 0) return (int)cudaErrorInvalidValue;
    return (int)cudaMemPoolTrimTo((cudaMemPool_t)pool, (size_t)keep_bytes);
}

extern "C" int p4j_mem_pool_usage(void* pool, long long* reserved, long long* used) {
    if (pool == nullptr) return (int)cudaErrorInvalidValue;
    unsigned long long r = 0, u = 0;
    P4J_CHECK(cudaMemPoolGetAttribute((cudaMemPool_t)pool, cudaMemPoolAttrReservedMemCurrent, &r));
    P4J_CHECK(cudaMemPoolGetAttribute((cudaMemPool_t)pool, cudaMemPoolAttrUsedMemCurrent, &u));
    if (reserved) *reserved = (long long)r;
    if (used) *used = (long long)u;
    return (int)cudaSuccess;
}

extern "C" int p4j_malloc_async(void** ptr, long long bytes, void* pool, void* stream) {
    if (ptr == nullptr || bytes < 0 || pool == nullptr) return (int)cudaErrorInvalidValue;
    *ptr = nullptr;
    cudaError_t err = cudaMallocFromPoolAsync(ptr, (size_t)(bytes > 0 ? bytes : 1), (cudaMemPool_t)pool, p4j::as_stream(stream));
    if (err != cudaSuccess) {
        *ptr = nullptr;
        (void)cudaGetLastError();  // as p4j_malloc: an allocation failure is not sticky
    }
    return (int)err;
}

extern "C" int p4j_free_async(void* ptr, void* stream) {
    if (ptr == nullptr) return (int)cudaSuccess;
    return (int)cudaFreeAsync(ptr, p4j::as_stream(stream));
}

extern "C" int p4j_mem_get_info(long long* free_bytes, long long* total_bytes) {
    size_t f = 0, t = 0;
    cudaError_t err = cudaMemGetInfo(&f, &t);
    if (free_bytes) *free_bytes = (long long)f;
    if (total_bytes) *total_bytes = (long long)t;
    return (int)err;
}

extern "C" int p4j_memcpy(void* dst, const void* src, long long bytes, int kind, void* stream, int async) {
    if (bytes < 0 || kind < 0 || kind > 4) return (int)cudaErrorInvalidValue;
    if (bytes == 0) return (int)cudaSuccess;
    if (dst == nullptr || src == nullptr) return (int)cudaErrorInvalidValue;
    if (async) return (int)cudaMemcpyAsync(dst, src, (size_t)bytes, (cudaMemcpyKind)kind, p4j::as_stream(stream));
    return (int)cudaMemcpy(dst, src, (size_t)bytes, (cudaMemcpyKind)kind);
}

extern "C" int p4j_memset(void* dst, int value, long long bytes, void* stream) {
    if (bytes < 0) return (int)cudaErrorInvalidValue;
    if (bytes == 0) return (int)cudaSuccess;
    if (dst == nullptr) return (int)cudaErrorInvalidValue;
    return (int)cudaMemsetAsync(dst, value, (size_t)bytes, p4j::as_stream(stream));
}

extern "C" int p4j_stream_create(void** stream) {
    if (stream == nullptr) return (int)cudaErrorInvalidValue;
    *stream = nullptr;
    cudaStream_t s = nullptr;
    cudaError_t err = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (err == cudaSuccess) *stream = (void*)s;
    return (int)err;
}

extern "C" int p4j_stream_destroy(void* stream) {
    if (stream == nullptr) return (int)cudaSuccess;
    return (int)cudaStreamDestroy(p4j::as_stream(stream));
}

extern "C" int p4j_event_create(void** event) {
    if (event == nullptr) return (int)cudaErrorInvalidValue;
    *event = nullptr;
    cudaEvent_t e = nullptr;
    cudaError_t err = cudaEventCreate(&e);
    if (err == cudaSuccess) *event = (void*)e;
    return (int)err;
}

extern "C" int p4j_event_destroy(void* event) {
    if (event == nullptr) return (int)cudaSuccess;
    return (int)cudaEventDestroy((cudaEvent_t)event);
}

extern "C" int p4j_event_record(void* event, void* stream) {
    if (event == nullptr) return (int)cudaErrorInvalidValue;
    return (int)cudaEventRecord((cudaEvent_t)event, p4j::as_stream(stream));
}

extern "C" int p4j_event_elapsed_ms(float* ms, void* start, void* end) {
    if (ms == nullptr || start == nullptr || end == nullptr) return (int)cudaErrorInvalidValue;
    *ms = 0.f;
    cudaError_t err = cudaEventSynchronize((cudaEvent_t)end);
    if (err != cudaSuccess) return (int)err;
    return (int)cudaEventElapsedTime(ms, (cudaEvent_t)start, (cudaEvent_t)end);
}

extern "C" int p4j_l2_cache_bytes(int device, int* bytes) {
    if (bytes == nullptr) return (int)cudaErrorInvalidValue;
    *bytes = 0;
    return (int)cudaDeviceGetAttribute(bytes, cudaDevAttrL2CacheSize, device);
}

extern "C" int p4j_host_alloc_mapped(void** host, void** device, long long bytes) {
    if (host == nullptr || device == nullptr || bytes < 0) return (int)cudaErrorInvalidValue;
    *host = nullptr;
    *device = nullptr;
    void* h = nullptr;
    cudaError_t err = cudaHostAlloc(&h, (size_t)(bytes > 0 ? bytes : 1), cudaHostAllocMapped);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return (int)err;
    }
    void* d = nullptr;
    err = cudaHostGetDevicePointer(&d, h, 0);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        cudaFreeHost(h);
        return (int)err;
    }
    memset(h, 0, (size_t)(bytes > 0 ? bytes : 1));
    *host = h;
    *device = d;
    return (int)cudaSuccess;
}

extern "C" int p4j_host_free(void* host) {
    if (host == nullptr) return (int)cudaSuccess;
    return (int)cudaFreeHost(host);
}
