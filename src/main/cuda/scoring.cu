// Importance-scoring kernels.
//
// taylor_accumulate: the fused activation x gradient score (Molchanov et al. 2017). Reads
// A[batch, units, spatial] and G (same shape) once and adds, per unit n,
//   scale * |sum_b t_b|       (abs_inside == 0)   or   scale * sum_b |t_b|   (abs_inside != 0)
// with t_b = mean_s a*g (just a*g for dense layers), never storing a*g.
//
// Determinism: one thread owns one unit and walks the batch in order, so the result does not depend
// on scheduling (no float atomics). The per-example product and mean are done in float without
// contraction (__fmul_rn/__fadd_rn) and the batch sum in double, exactly as the CPU backend does,
// so the two backends agree bit for bit. Consecutive threads own consecutive units: for dense
// layers (spatial == 1) every row of A and G is read coalesced.
#include "common.cuh"
#include "prune4j_kernels.h"

namespace {

template <bool kAbsInside>
__global__ void taylor_accumulate_kernel(float* __restrict__ acc, const float* __restrict__ a,
                                         const float* __restrict__ g, int batch, int units, int spatial,
                                         float inv_spatial, float scale) {
    const int64_t stride = (int64_t)blockDim.x * gridDim.x;
    for (int64_t n = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; n < units; n += stride) {
        double sum = 0.0;
        for (int b = 0; b < batch; b++) {
            const int64_t base = ((int64_t)b * units + n) * spatial;
            float t = 0.0f;
            for (int s = 0; s < spatial; s++) {
                t = __fadd_rn(t, __fmul_rn(a[base + s], g[base + s]));
            }
            t = __fmul_rn(t, inv_spatial);
            sum += kAbsInside ? fabs((double)t) : (double)t;
        }
        acc[n] = __fadd_rn(acc[n], (float)((double)scale * fabs(sum)));
    }
}

}  // namespace

extern "C" int p4j_taylor_accumulate(float* acc, const float* a, const float* g, int batch, int units,
                                     int spatial, int abs_inside, float scale, void* stream) {
    if (batch < 0 || units < 0 || spatial < 1) return (int)cudaErrorInvalidValue;
    if (units == 0) return (int)cudaSuccess;
    if (acc == nullptr || (batch > 0 && (a == nullptr || g == nullptr))) return (int)cudaErrorInvalidValue;
    const int grid = p4j::grid_for(units);
    cudaStream_t s = p4j::as_stream(stream);
    const float inv_spatial = 1.0f / (float)spatial;
    if (abs_inside) {
        taylor_accumulate_kernel<true><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, spatial, inv_spatial, scale);
    } else {
        taylor_accumulate_kernel<false><<<grid, p4j::kBlock, 0, s>>>(acc, a, g, batch, units, spatial, inv_spatial, scale);
    }
    P4J_CHECK_LAUNCH();
    return (int)cudaSuccess;
}
