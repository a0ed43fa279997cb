/*
 * prune4j_blas.h: inline C helpers behind io.prune4j.backend.cpu.CriticalBlas (the JNI glue
 * libjniCriticalBlas.so that JavaCPP generates from that class includes this header).
 *
 * The glue has no link-time dependency on OpenBLAS: the bytedeco openblas jar extracts
 * libopenblas_nolapack.so.0 into the JavaCPP cache at run time, so there is nothing to link
 * against at build time. Java looks up the address of cblas_sgemm once (Loader.addressof, checked
 * with p4j_library_of, or p4j_dlsym_loaded on the exact file Loader extracted) and passes it as
 * the first argument of p4j_sgemm, which only casts it and calls it.
 *
 * Everything here is called inside a JNI critical region (the float arrays are the Java heap
 * arrays themselves, pinned): no JNI calls, no blocking, no allocation of Java objects.
 */
#ifndef PRUNE4J_BLAS_H
#define PRUNE4J_BLAS_H

#include <stddef.h>
#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cblas_sgemm with the enums as ints (CBLAS_ORDER / CBLAS_TRANSPOSE are int-sized C enums:
   RowMajor 101, ColMajor 102, NoTrans 111, Trans 112). */
typedef void (*p4j_cblas_sgemm_fn)(int order, int transa, int transb, int m, int n, int k,
                                   float alpha, const float* a, int lda, const float* b, int ldb,
                                   float beta, float* c, int ldc);

/* c = alpha * op(a) op(b) + beta * c through the cblas_sgemm at address fn (not NULL). */
static inline void p4j_sgemm(void* fn, int order, int transa, int transb, int m, int n, int k,
                             float alpha, const float* a, int lda, const float* b, int ldb,
                             float beta, float* c, int ldc) {
    ((p4j_cblas_sgemm_fn) fn)(order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* p4j_sgemm on sub-arrays: a, b and c start aoff, boff and coff elements into the pinned arrays
   (one example of a batch, for the per-example products of a convolution). */
static inline void p4j_sgemm_at(void* fn, int order, int transa, int transb, int m, int n, int k,
                                float alpha, const float* a, int aoff, int lda, const float* b, int boff, int ldb,
                                float beta, float* c, int coff, int ldc) {
    ((p4j_cblas_sgemm_fn) fn)(order, transa, transb, m, n, k, alpha, a + aoff, lda, b + boff, ldb, beta, c + coff, ldc);
}

/* cblas_sgemv with the enums as ints. */
typedef void (*p4j_cblas_sgemv_fn)(int order, int trans, int m, int n, float alpha, const float* a, int lda,
                                   const float* x, int incx, float beta, float* y, int incy);

/* y = alpha * op(a) x + beta * y through the cblas_sgemv at address fn (not NULL). */
static inline void p4j_sgemv(void* fn, int order, int trans, int m, int n, float alpha, const float* a, int lda,
                             const float* x, int incx, float beta, float* y, int incy) {
    ((p4j_cblas_sgemv_fn) fn)(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

/* The path of the shared object that contains address addr (dladdr), or NULL if none does. */
static inline const char* p4j_library_of(void* addr) {
    Dl_info info;
    if (addr == NULL || dladdr(addr, &info) == 0) {
        return NULL;
    }
    return info.dli_fname;
}

/* dlsym(symbol) in the already loaded library at path (RTLD_NOLOAD: never loads anything);
   NULL when that library is not loaded or lacks the symbol. */
static inline void* p4j_dlsym_loaded(const char* path, const char* symbol) {
    void* handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == NULL) {
        return NULL;
    }
    void* fn = dlsym(handle, symbol);
    dlclose(handle); /* drops only the reference dlopen just took */
    return fn;
}

#ifdef __cplusplus
}
#endif

#endif /* PRUNE4J_BLAS_H */
