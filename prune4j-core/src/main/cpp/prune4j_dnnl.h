/*
 * prune4j_dnnl.h: oneDNN convolutions on Java heap arrays, behind io.prune4j.backend.cpu.DnnlConv
 * (the JNI glue libjniDnnlConv.so that JavaCPP generates from that class includes this header).
 *
 * No link-time dependency on oneDNN: the bytedeco dnnl jar's libdnnl.so.3 is extracted and loaded
 * by JavaCPP's Loader at run time (DnnlConv's preloads), so this glue must call that very copy and
 * not bring a second one. p4j_dnnl_init() takes the path Loader loaded it from, dlopen()s it with
 * RTLD_NOLOAD (which only returns a handle to the loaded object) and dlsym()s every function used
 * here into one table. oneDNN's header is only included for its types and declarations: the
 * table's types are decltype(&dnnl_...), so a signature can never drift from the library's, and
 * nothing here names a dnnl function except through decltype, which does not reference the symbol.
 *
 * Objects:
 *   - one CPU engine per process (p4j_dnnl_init);
 *   - a context per CpuBackend: its stream, its thread count and one workspace buffer that holds
 *     every temporary of a call (blocked copies of the operands, the primitives' scratchpads);
 *   - a convolution per shape and direction: primitives, reorders and memory objects, created once
 *     and cached on the Java side (CpuDnnl), like the cuDNN plans of the GPU backend.
 * The primitives' memory descriptors are "any", so oneDNN picks its blocked layouts (nChw16c,
 * OIhw16i16o on AVX-512); the Java arrays are plain NCHW / OIHW, so each operand is reordered into
 * the workspace before and each result out of it after, where the layouts differ. On the plain
 * layouts themselves oneDNN 3.8 chooses jit_uni_ncsp_convolution, whose internal reorders are
 * reference loops: 100 to 300 times slower than these reorders plus the blocked kernels.
 *
 * The execute functions are called inside a JNI critical region (DnnlConv's @CriticalRegion): the
 * float pointers are the Java heap arrays themselves, pinned. The memory objects on them get the
 * pinned addresses (dnnl_memory_set_data_handle), the primitives run on the context's stream, and
 * the stream is waited for before returning, so no oneDNN thread touches an array after the
 * region closes. Nothing in them makes a JNI call or waits for a Java thread.
 */
#ifndef PRUNE4J_DNNL_H
#define PRUNE4J_DNNL_H

#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <atomic>

/* Every oneDNN function the glue calls, resolved by name from the loaded libdnnl. */
#define P4J_DNNL_FUNCTIONS(X)                                                                     \
    X(dnnl_version)                                                                               \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_destroy) X(dnnl_stream_wait)        \
    X(dnnl_memory_desc_create_with_tag) X(dnnl_memory_desc_destroy) X(dnnl_memory_desc_equal)     \
    X(dnnl_memory_desc_get_size) X(dnnl_memory_create) X(dnnl_memory_destroy)                     \
    X(dnnl_memory_get_memory_desc) X(dnnl_memory_set_data_handle)                                 \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy)                                  \
    X(dnnl_primitive_attr_set_deterministic) X(dnnl_primitive_attr_set_scratchpad_mode)           \
    X(dnnl_primitive_attr_set_post_ops) X(dnnl_post_ops_create) X(dnnl_post_ops_destroy)          \
    X(dnnl_post_ops_append_eltwise)                                                               \
    X(dnnl_convolution_forward_primitive_desc_create)                                             \
    X(dnnl_convolution_backward_data_primitive_desc_create)                                       \
    X(dnnl_convolution_backward_weights_primitive_desc_create)                                    \
    X(dnnl_reorder_primitive_desc_create) X(dnnl_primitive_desc_query)                            \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_desc_destroy)                                \
    X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_primitive_execute)

struct p4j_dnnl_api {
#define P4J_DNNL_MEMBER(name) decltype(&::name) name;
    P4J_DNNL_FUNCTIONS(P4J_DNNL_MEMBER)
#undef P4J_DNNL_MEMBER
    /* The OpenMP runtime libdnnl is linked with (bytedeco ships libgomp.so.1 beside it): oneDNN's
       CPU primitives run their parallel regions on it, with omp_get_max_threads() threads. */
    void (*omp_set_num_threads)(int);
    int (*omp_get_max_threads)(void);
};

/* One translation unit includes this header (the generated JNI source), so these are unique. */
static p4j_dnnl_api p4j_api;
static dnnl_engine_t p4j_engine = NULL;
static std::atomic<long> p4j_live_objects(0); /* contexts + convolutions not yet destroyed */
static std::atomic<long> p4j_live_bytes(0);   /* workspace bytes held by live contexts */
static thread_local char p4j_error[512];

static inline void p4j_fail(const char* what, dnnl_status_t s) {
    snprintf(p4j_error, sizeof p4j_error, "%s failed with dnnl_status %d", what, (int) s);
}

/* Why the last p4j_dnnl_init / p4j_dnnl_conv_create / execute on this thread failed. */
static inline const char* p4j_dnnl_error() {
    return p4j_error;
}

/* The shared object that contains address addr (dladdr), or NULL. */
static inline const char* p4j_dnnl_library_of(void* addr) {
    Dl_info info;
    if (addr == NULL || dladdr(addr, &info) == 0) {
        return NULL;
    }
    return info.dli_fname;
}

/*
 * Called before libgomp is loaded: asks OpenMP for its passive wait policy, by setting
 * OMP_WAIT_POLICY=PASSIVE in the environment libgomp reads when it initialises, unless the user set
 * OMP_WAIT_POLICY or GOMP_SPINCOUNT, or an OpenMP runtime is already loaded (then it has read its
 * settings already). Returns what holds, for DnnlConv.openmpSettings().
 *
 * Why: by default libgomp's threads spin for about 3 ms after every parallel region, and a
 * oneDNN convolution is several regions (reorders, then the kernel). On 2 cores, a spinning OpenMP
 * thread takes the core the backend's Java workers (batch norm, ReLU, the next convolution's
 * reorder) need next, and when other processes load the machine, a region waits a whole scheduler
 * time slice for a preempted spinner: measured on the 2-core machine under load, the default made
 * the convolutions 3 to 10 times slower than with PASSIVE, which sleeps at once (a futex wake-up,
 * some microseconds, per region).
 *
 * setenv() runs once, from the class initialiser of DnnlConv, before any OpenMP thread exists.
 */
static inline const char* p4j_dnnl_prefer_passive() {
    static char text[256];
    void* gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    const char* policy = getenv("OMP_WAIT_POLICY");
    const char* spin = getenv("GOMP_SPINCOUNT");
    if (gomp != NULL) {
        dlclose(gomp);
        snprintf(text, sizeof text, "libgomp was loaded before oneDNN; it uses OMP_WAIT_POLICY=%s, GOMP_SPINCOUNT=%s",
                 policy != NULL ? policy : "(unset)", spin != NULL ? spin : "(unset)");
    } else if (policy != NULL || spin != NULL) {
        snprintf(text, sizeof text, "OMP_WAIT_POLICY=%s, GOMP_SPINCOUNT=%s, as set by the user",
                 policy != NULL ? policy : "(unset)", spin != NULL ? spin : "(unset)");
    } else if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0) {
        snprintf(text, sizeof text, "OMP_WAIT_POLICY=PASSIVE, set by prune4j");
    } else {
        snprintf(text, sizeof text, "OMP_WAIT_POLICY unset (setenv failed): libgomp spins after each region");
    }
    return text;
}

/*
 * Resolves the function table in the libdnnl already loaded from path (RTLD_NOLOAD: never loads a
 * copy) and creates the process's CPU engine. NULL on success, else why not. The OpenMP functions
 * are looked up through the same handle, which searches libdnnl's own dependencies: the libgomp
 * that libdnnl is bound to, whichever file that is.
 */
static inline const char* p4j_dnnl_init(const char* path) {
    if (p4j_engine != NULL) {
        return NULL;
    }
    void* h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
    if (h == NULL) {
        snprintf(p4j_error, sizeof p4j_error, "%s is not loaded: %s", path, dlerror());
        return p4j_error;
    }
#define P4J_DNNL_RESOLVE(name)                                                                     \
    p4j_api.name = (decltype(&::name)) dlsym(h, #name);                                           \
    if (p4j_api.name == NULL) {                                                                   \
        snprintf(p4j_error, sizeof p4j_error, "%s not found in %s", #name, path);                 \
        dlclose(h);                                                                               \
        return p4j_error;                                                                         \
    }
    P4J_DNNL_FUNCTIONS(P4J_DNNL_RESOLVE)
#undef P4J_DNNL_RESOLVE
    p4j_api.omp_set_num_threads = (void (*)(int)) dlsym(h, "omp_set_num_threads");
    p4j_api.omp_get_max_threads = (int (*)(void)) dlsym(h, "omp_get_max_threads");
    dlclose(h); /* drops only the reference dlopen just took; Loader's keeps the library loaded */
    if (p4j_api.omp_set_num_threads == NULL || p4j_api.omp_get_max_threads == NULL) {
        snprintf(p4j_error, sizeof p4j_error, "omp_set_num_threads not found among the dependencies of %s"
                 " (this build of oneDNN does not use OpenMP, so its thread count cannot follow the backend's)", path);
        return p4j_error;
    }
    const dnnl_version_t* v = p4j_api.dnnl_version();
    if (v->cpu_runtime != DNNL_RUNTIME_OMP) {
        snprintf(p4j_error, sizeof p4j_error, "libdnnl %d.%d.%d uses CPU runtime %u, not OpenMP", v->major, v->minor,
                 v->patch, v->cpu_runtime);
        return p4j_error;
    }
    dnnl_status_t s = p4j_api.dnnl_engine_create(&p4j_engine, dnnl_cpu, 0);
    if (s != dnnl_success) {
        p4j_engine = NULL;
        p4j_fail("dnnl_engine_create", s);
        return p4j_error;
    }
    return NULL;
}

/* "major.minor.patch (git hash)" of the loaded libdnnl; requires a successful p4j_dnnl_init. */
static inline const char* p4j_dnnl_version() {
    static char text[64];
    const dnnl_version_t* v = p4j_api.dnnl_version();
    snprintf(text, sizeof text, "%d.%d.%d (%s)", v->major, v->minor, v->patch, v->hash);
    return text;
}

/* Address of omp_set_num_threads (for dladdr: which OpenMP runtime it is). */
static inline void* p4j_dnnl_omp_address() {
    return (void*) p4j_api.omp_set_num_threads;
}

/* ---- contexts -------------------------------------------------------------------------------- */

struct p4j_context {
    dnnl_stream_t stream;
    int threads;
    /* The temporaries of one call; grown to the largest convolution's need, reused by all of them
       (calls on one backend run one at a time, and each waits for its stream before returning). */
    char* workspace;
    size_t workspace_bytes;
    /* Bumped whenever the workspace moves, so convolutions re-point their memory objects. */
    long generation;
};

static inline int64_t p4j_dnnl_context_create(int threads) {
    p4j_context* c = new p4j_context();
    dnnl_status_t s = p4j_api.dnnl_stream_create(&c->stream, p4j_engine, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        p4j_fail("dnnl_stream_create", s);
        delete c;
        return 0;
    }
    c->threads = threads;
    c->workspace = NULL;
    c->workspace_bytes = 0;
    c->generation = 0;
    p4j_live_objects++;
    return (int64_t) (intptr_t) c;
}

static inline void p4j_dnnl_context_destroy(int64_t handle) {
    p4j_context* c = (p4j_context*) (intptr_t) handle;
    if (c == NULL) {
        return;
    }
    p4j_api.dnnl_stream_destroy(c->stream);
    p4j_live_bytes -= (long) c->workspace_bytes;
    free(c->workspace);
    delete c;
    p4j_live_objects--;
}

/* Makes the workspace at least bytes long; false when that memory cannot be had. */
static inline bool p4j_reserve(p4j_context* c, size_t bytes) {
    if (bytes <= c->workspace_bytes) {
        return true;
    }
    size_t rounded = (bytes + 4095) & ~(size_t) 4095; /* aligned_alloc wants a multiple of the alignment */
    char* p = (char*) aligned_alloc(4096, rounded);
    if (p == NULL) {
        snprintf(p4j_error, sizeof p4j_error, "no memory for a %zu-byte oneDNN workspace", rounded);
        return false;
    }
    free(c->workspace);
    p4j_live_bytes += (long) rounded - (long) c->workspace_bytes;
    c->workspace = p;
    c->workspace_bytes = rounded;
    c->generation++;
    return true;
}

/* ---- convolutions ---------------------------------------------------------------------------- */

/* The Java arrays of a call, by role. Y is y in the forward pass and dy in the backward pass. */
enum { P4J_X = 0, P4J_W, P4J_B, P4J_Y, P4J_DX, P4J_DW, P4J_DB, P4J_USERS };

/* One operand of a primitive: the memory it executes on, and how that relates to the Java array. */
struct p4j_arg {
    int arg;                    /* DNNL_ARG_* */
    int user;                   /* P4J_*: the Java array it comes from or goes to */
    bool output;                /* written by the primitive: reordered to the array after, not before */
    dnnl_memory_t mem;          /* in the workspace (at offset), or NULL: the primitive runs on the array */
    bool owned;                 /* mem is this argument's own (not shared with an earlier argument) */
    dnnl_primitive_t reorder;   /* array -> mem before (input) or mem -> array after (output); NULL if shared */
    size_t offset;
};

struct p4j_step {
    dnnl_primitive_t prim;
    p4j_arg args[4];
    int nargs;
    dnnl_memory_t scratchpad;   /* in the workspace, NULL when the primitive needs none */
    size_t scratchpad_offset;
};

struct p4j_conv {
    p4j_context* ctx;
    dnnl_memory_t user[P4J_USERS]; /* plain layouts on the pinned arrays (NULL: role unused) */
    p4j_step steps[2];
    int nsteps;
    size_t workspace_bytes;
    size_t db_offset;              /* a bias gradient nobody asked for goes here */
    long generation;               /* of the workspace the memory objects point into */
    char impl[256];                /* oneDNN's implementation names, for diagnostics */
};

static inline size_t p4j_align(size_t n) {
    return (n + 63) & ~(size_t) 63;
}

static inline void p4j_conv_free(p4j_conv* c) {
    for (int s = 0; s < c->nsteps; s++) {
        p4j_step* st = &c->steps[s];
        if (st->prim != NULL) {
            p4j_api.dnnl_primitive_destroy(st->prim);
        }
        if (st->scratchpad != NULL) {
            p4j_api.dnnl_memory_destroy(st->scratchpad);
        }
        for (int a = 0; a < st->nargs; a++) {
            if (st->args[a].reorder != NULL) {
                p4j_api.dnnl_primitive_destroy(st->args[a].reorder);
            }
            if (st->args[a].owned && st->args[a].mem != NULL) {
                p4j_api.dnnl_memory_destroy(st->args[a].mem);
            }
        }
    }
    for (int u = 0; u < P4J_USERS; u++) {
        if (c->user[u] != NULL) {
            p4j_api.dnnl_memory_destroy(c->user[u]);
        }
    }
    delete c;
}

/* Shorthand for the builder below: on failure record what failed and leave. */
#define P4J_TRY(call, what)                                                                       \
    do {                                                                                          \
        dnnl_status_t s_ = (call);                                                                \
        if (s_ != dnnl_success) {                                                                 \
            p4j_fail(what, s_);                                                                   \
            goto fail;                                                                            \
        }                                                                                         \
    } while (0)

/*
 * Binds argument a of step st to the primitive's memory descriptor want (queried from its pd): the
 * primitive runs on the Java array itself when want is its plain layout, else on a workspace copy
 * with a reorder. An input the step before already reordered to the same layout (dy for both
 * backward primitives) shares that copy instead of reordering it again. false on failure.
 */
static inline bool p4j_bind(p4j_conv* c, p4j_step* st, int arg, int user, bool output, const_dnnl_memory_desc_t want) {
    p4j_arg* a = &st->args[st->nargs++];
    memset(a, 0, sizeof *a);
    a->arg = arg;
    a->user = user;
    a->output = output;
    const_dnnl_memory_desc_t plain;
    dnnl_status_t s = p4j_api.dnnl_memory_get_memory_desc(c->user[user], &plain);
    if (s != dnnl_success) {
        p4j_fail("dnnl_memory_get_memory_desc", s);
        return false;
    }
    if (p4j_api.dnnl_memory_desc_equal(plain, want)) {
        return true;
    }
    if (!output) {
        for (int e = 0; e < c->nsteps; e++) {
            for (int i = 0; i < c->steps[e].nargs; i++) {
                p4j_arg* b = &c->steps[e].args[i];
                const_dnnl_memory_desc_t have;
                if (b->user == user && !b->output && b->mem != NULL && b->owned
                        && p4j_api.dnnl_memory_get_memory_desc(b->mem, &have) == dnnl_success
                        && p4j_api.dnnl_memory_desc_equal(have, want)) {
                    a->mem = b->mem;
                    a->offset = b->offset;
                    return true;
                }
            }
        }
    }
    s = p4j_api.dnnl_memory_create(&a->mem, want, p4j_engine, DNNL_MEMORY_NONE);
    if (s != dnnl_success) {
        a->mem = NULL;
        p4j_fail("dnnl_memory_create", s);
        return false;
    }
    a->owned = true;
    a->offset = c->workspace_bytes;
    c->workspace_bytes += p4j_align(p4j_api.dnnl_memory_desc_get_size(want));
    dnnl_primitive_desc_t rpd;
    s = output ? p4j_api.dnnl_reorder_primitive_desc_create(&rpd, want, p4j_engine, plain, p4j_engine, NULL)
               : p4j_api.dnnl_reorder_primitive_desc_create(&rpd, plain, p4j_engine, want, p4j_engine, NULL);
    if (s != dnnl_success) {
        p4j_fail("dnnl_reorder_primitive_desc_create", s);
        return false;
    }
    s = p4j_api.dnnl_primitive_create(&a->reorder, rpd);
    p4j_api.dnnl_primitive_desc_destroy(rpd);
    if (s != dnnl_success) {
        a->reorder = NULL;
        p4j_fail("dnnl_primitive_create (reorder)", s);
        return false;
    }
    return true;
}

/*
 * Makes pd step st's primitive: checks its implementation (a reference one, "ref:" or a jit
 * convolution around reference reorders, is refused: the Java path is far faster; so is the
 * im2col-and-gemm one, "x64:gemm:jit", no faster than the Java path's), notes its name,
 * reserves its scratchpad and creates it. The caller still owns pd (the primitive keeps a copy).
 */
static inline bool p4j_step_create(p4j_conv* c, p4j_step* st, dnnl_primitive_desc_t pd, const char* kind) {
    const char* name = NULL;
    bool ok = false;
    const_dnnl_memory_desc_t sp;
    size_t spBytes;
    dnnl_status_t s = p4j_api.dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    if (s != dnnl_success || name == NULL) {
        p4j_fail("dnnl_primitive_desc_query (impl_info_str)", s);
        goto done;
    }
    snprintf(c->impl + strlen(c->impl), sizeof c->impl - strlen(c->impl), "%s%s %s", c->impl[0] ? ", " : "", kind, name);
    if (strstr(name, "ref") != NULL) {
        snprintf(p4j_error, sizeof p4j_error, "oneDNN has only a reference implementation for this %s (%s)", kind, name);
        goto done;
    }
    if (strncmp(name, "gemm:", 5) == 0 || strstr(name, ":gemm:") != NULL) {
        /* im2col and a matrix product: what the Java path does, with its own (as fast) sgemm */
        snprintf(p4j_error, sizeof p4j_error, "oneDNN has only its im2col-and-gemm implementation for this %s (%s)", kind, name);
        goto done;
    }
    sp = p4j_api.dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    spBytes = sp == NULL ? 0 : p4j_api.dnnl_memory_desc_get_size(sp);
    if (spBytes > 0) {
        s = p4j_api.dnnl_memory_create(&st->scratchpad, sp, p4j_engine, DNNL_MEMORY_NONE);
        if (s != dnnl_success) {
            st->scratchpad = NULL;
            p4j_fail("dnnl_memory_create (scratchpad)", s);
            goto done;
        }
        st->scratchpad_offset = c->workspace_bytes;
        c->workspace_bytes += p4j_align(spBytes);
    }
    s = p4j_api.dnnl_primitive_create(&st->prim, pd);
    if (s != dnnl_success) {
        st->prim = NULL;
        p4j_fail("dnnl_primitive_create", s);
        goto done;
    }
    ok = true;
done:
    return ok;
}

/* Flags of p4j_dnnl_conv_create. */
enum {
    P4J_BACKWARD = 1,  /* backward data (if P4J_DX) and weights, else forward */
    P4J_BIAS = 2,      /* forward: add a bias */
    P4J_RELU = 4,      /* forward: ReLU after the bias (an eltwise post-op) */
    P4J_NEED_DX = 8    /* backward: the input gradient too */
};

/*
 * The primitives of one convolution, NCHW x [batch, in, h, w], w [out, in / groups, kh, kw],
 * y [batch, out, ho, wo], symmetric padding; the caller checked the geometry. Returns a handle, or
 * 0 with p4j_dnnl_error() saying why (oneDNN lacks a fast implementation, or an error).
 *
 * Every primitive has the deterministic attribute (oneDNN then gives the same bits for the same
 * inputs and thread count, reductions included) and a user-managed scratchpad, which lives in the
 * context's workspace with the other temporaries; oneDNN's default, a library-owned scratchpad,
 * would hold memory outside anything this glue can account for or free.
 */
static inline int64_t p4j_dnnl_conv_create(int64_t context, int flags, int n, int in, int h, int w, int out, int kh, int kw,
                                           int stride, int pad, int groups, int ho, int wo) {
    p4j_context* ctx = (p4j_context*) (intptr_t) context;
    p4j_conv* c = new p4j_conv();
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    bool backward = (flags & P4J_BACKWARD) != 0;
    dnnl_memory_desc_t md[P4J_USERS] = {NULL};
    dnnl_memory_desc_t any[3] = {NULL}; /* x, w, y */
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t fwd = NULL, hint = NULL, bwd = NULL;
    dnnl_dims_t xd = {n, in, h, w};
    dnnl_dims_t yd = {n, out, ho, wo};
    dnnl_dims_t bd = {out};
    dnnl_dims_t wd5 = {groups, out / groups, in / groups, kh, kw};
    dnnl_dims_t wd4 = {out, in, kh, kw};
    int wn = groups > 1 ? 5 : 4;
    const int64_t* wd = groups > 1 ? wd5 : wd4;
    dnnl_format_tag_t wtag = groups > 1 ? dnnl_goihw : dnnl_oihw;
    dnnl_dims_t strides = {stride, stride};
    dnnl_dims_t dilates = {0, 0};
    dnnl_dims_t padding = {pad, pad};
    /* oneDNN's parallel decomposition, hence its kernels' blocking, follows the thread count when
       the primitive is made: it must be the one the primitive later runs with */
    p4j_api.omp_set_num_threads(ctx->threads);

    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_X], 4, xd, dnnl_f32, dnnl_nchw), "memory desc x");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_W], wn, wd, dnnl_f32, wtag), "memory desc w");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_B], 1, bd, dnnl_f32, dnnl_x), "memory desc b");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_Y], 4, yd, dnnl_f32, dnnl_nchw), "memory desc y");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&any[0], 4, xd, dnnl_f32, dnnl_format_tag_any), "memory desc x any");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&any[1], wn, wd, dnnl_f32, dnnl_format_tag_any), "memory desc w any");
    P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&any[2], 4, yd, dnnl_f32, dnnl_format_tag_any), "memory desc y any");
    P4J_TRY(p4j_api.dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create");
    P4J_TRY(p4j_api.dnnl_primitive_attr_set_deterministic(attr, 1), "dnnl_primitive_attr_set_deterministic");
    P4J_TRY(p4j_api.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode");

    if (!backward) {
        if (flags & P4J_RELU) {
            P4J_TRY(p4j_api.dnnl_post_ops_create(&ops), "dnnl_post_ops_create");
            P4J_TRY(p4j_api.dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0.f, 0.f), "dnnl_post_ops_append_eltwise");
            P4J_TRY(p4j_api.dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops");
        }
        bool bias = (flags & P4J_BIAS) != 0;
        P4J_TRY(p4j_api.dnnl_convolution_forward_primitive_desc_create(&fwd, p4j_engine, dnnl_forward_training,
                        dnnl_convolution_direct, any[0], any[1], bias ? md[P4J_B] : NULL, any[2], strides, dilates, padding, padding,
                        attr), "convolution forward primitive desc");
        const int users[] = {P4J_X, P4J_W, P4J_Y, bias ? P4J_B : -1};
        for (int u : users) {
            if (u >= 0) {
                P4J_TRY(p4j_api.dnnl_memory_create(&c->user[u], md[u], p4j_engine, DNNL_MEMORY_NONE), "memory (array)");
            }
        }
        p4j_step* st = &c->steps[0];
        if (!p4j_bind(c, st, DNNL_ARG_SRC, P4J_X, false, p4j_api.dnnl_primitive_desc_query_md(fwd, dnnl_query_src_md, 0))
                || !p4j_bind(c, st, DNNL_ARG_WEIGHTS, P4J_W, false, p4j_api.dnnl_primitive_desc_query_md(fwd, dnnl_query_weights_md, 0))
                || !p4j_bind(c, st, DNNL_ARG_DST, P4J_Y, true, p4j_api.dnnl_primitive_desc_query_md(fwd, dnnl_query_dst_md, 0))
                || (bias && !p4j_bind(c, st, DNNL_ARG_BIAS, P4J_B, false, md[P4J_B]))) {
            c->nsteps = 1;
            goto fail;
        }
        c->nsteps = 1;
        bool made = p4j_step_create(c, st, fwd, "forward");
        p4j_api.dnnl_primitive_desc_destroy(fwd);
        fwd = NULL;
        if (!made) {
            goto fail;
        }
    } else {
        /* the backward primitives need a forward one as a hint (it fixes the layouts they pair with) */
        P4J_TRY(p4j_api.dnnl_convolution_forward_primitive_desc_create(&hint, p4j_engine, dnnl_forward_training,
                        dnnl_convolution_direct, any[0], any[1], NULL, any[2], strides, dilates, padding, padding, attr),
                "convolution forward primitive desc (hint)");
        P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_DX], 4, xd, dnnl_f32, dnnl_nchw), "memory desc dx");
        P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_DW], wn, wd, dnnl_f32, wtag), "memory desc dw");
        P4J_TRY(p4j_api.dnnl_memory_desc_create_with_tag(&md[P4J_DB], 1, bd, dnnl_f32, dnnl_x), "memory desc db");
        bool dx = (flags & P4J_NEED_DX) != 0;
        const int users[] = {P4J_X, P4J_W, P4J_Y, P4J_DW, P4J_DB, dx ? P4J_DX : -1};
        for (int u : users) {
            if (u >= 0) {
                P4J_TRY(p4j_api.dnnl_memory_create(&c->user[u], md[u], p4j_engine, DNNL_MEMORY_NONE), "memory (array)");
            }
        }
        /* the weight gradient first, and made the same way whether or not dx is wanted, so that dw
           comes out the same either way; with the bias gradient always: a weight gradient computed
           with or without it could differ in its bits, and the backend promises the same dw
           whether or not db is asked for */
        P4J_TRY(p4j_api.dnnl_convolution_backward_weights_primitive_desc_create(&bwd, p4j_engine, dnnl_convolution_direct, any[0],
                        any[1], md[P4J_DB], any[2], strides, dilates, padding, padding, hint, attr),
                "convolution backward weights primitive desc");
        {
            p4j_step* st = &c->steps[c->nsteps++];
            bool bound = p4j_bind(c, st, DNNL_ARG_SRC, P4J_X, false, p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_src_md, 0))
                    && p4j_bind(c, st, DNNL_ARG_DIFF_DST, P4J_Y, false, p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_diff_dst_md, 0))
                    && p4j_bind(c, st, DNNL_ARG_DIFF_WEIGHTS, P4J_DW, true,
                                p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_diff_weights_md, 0))
                    && p4j_bind(c, st, DNNL_ARG_DIFF_BIAS, P4J_DB, true, md[P4J_DB]);
            if (!bound) {
                goto fail;
            }
            if (!p4j_step_create(c, st, bwd, "backward weights")) {
                goto fail;
            }
        }
        if (dx) {
            /* dy in the layout the weight gradient read it in, when the data gradient has a kernel
               for that layout: one reorder of dy for both */
            const_dnnl_memory_desc_t shared = p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_diff_dst_md, 0);
            dnnl_primitive_desc_t data = NULL;
            if (p4j_api.dnnl_convolution_backward_data_primitive_desc_create(&data, p4j_engine,
                        dnnl_convolution_direct, any[0], any[1], shared, strides, dilates, padding, padding, hint, attr) != dnnl_success) {
                data = NULL;
                P4J_TRY(p4j_api.dnnl_convolution_backward_data_primitive_desc_create(&data, p4j_engine, dnnl_convolution_direct, any[0],
                                any[1], any[2], strides, dilates, padding, padding, hint, attr), "convolution backward data primitive desc");
            }
            p4j_api.dnnl_primitive_desc_destroy(bwd);
            bwd = data;
            p4j_step* st = &c->steps[c->nsteps++];
            bool bound = p4j_bind(c, st, DNNL_ARG_DIFF_DST, P4J_Y, false, p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_diff_dst_md, 0))
                    && p4j_bind(c, st, DNNL_ARG_WEIGHTS, P4J_W, false, p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_weights_md, 0))
                    && p4j_bind(c, st, DNNL_ARG_DIFF_SRC, P4J_DX, true, p4j_api.dnnl_primitive_desc_query_md(bwd, dnnl_query_diff_src_md, 0));
            if (!bound || !p4j_step_create(c, st, bwd, "backward data")) {
                goto fail;
            }
        }
        c->db_offset = c->workspace_bytes;
        c->workspace_bytes += p4j_align((size_t) out * sizeof(float));
    }
    goto done;
fail:
    p4j_conv_free(c);
    c = NULL;
done:
    /* the primitives keep what they need of these */
    if (fwd != NULL) {
        p4j_api.dnnl_primitive_desc_destroy(fwd);
    }
    if (hint != NULL) {
        p4j_api.dnnl_primitive_desc_destroy(hint);
    }
    if (bwd != NULL) {
        p4j_api.dnnl_primitive_desc_destroy(bwd);
    }
    if (ops != NULL) {
        p4j_api.dnnl_post_ops_destroy(ops);
    }
    if (attr != NULL) {
        p4j_api.dnnl_primitive_attr_destroy(attr);
    }
    for (int u = 0; u < P4J_USERS; u++) {
        if (md[u] != NULL) {
            p4j_api.dnnl_memory_desc_destroy(md[u]);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (any[i] != NULL) {
            p4j_api.dnnl_memory_desc_destroy(any[i]);
        }
    }
    if (c != NULL) {
        p4j_live_objects++;
    }
    return (int64_t) (intptr_t) c;
}
#undef P4J_TRY

/* oneDNN's implementation of each primitive of a convolution ("forward jit:avx512_core", ...). */
static inline const char* p4j_dnnl_conv_impl(int64_t handle) {
    return ((p4j_conv*) (intptr_t) handle)->impl;
}

static inline void p4j_dnnl_conv_destroy(int64_t handle) {
    p4j_conv* c = (p4j_conv*) (intptr_t) handle;
    if (c != NULL) {
        p4j_conv_free(c);
        p4j_live_objects--;
    }
}

/* Runs the convolution's steps on the arrays in ptr (by P4J_* role); 0, or a dnnl_status_t. */
static inline int p4j_run(p4j_conv* c, float* ptr[P4J_USERS]) {
    p4j_context* ctx = c->ctx;
    /* OpenMP's thread count is per calling thread: set it on every call, since the backend may be
       driven from another Java thread than last time (it is one call of a few instructions) */
    p4j_api.omp_set_num_threads(ctx->threads);
    if (!p4j_reserve(ctx, c->workspace_bytes)) {
        return dnnl_out_of_memory;
    }
    dnnl_status_t s;
    if (c->generation != ctx->generation) {
        for (int i = 0; i < c->nsteps; i++) {
            p4j_step* st = &c->steps[i];
            for (int a = 0; a < st->nargs; a++) {
                if (st->args[a].mem != NULL && (s = p4j_api.dnnl_memory_set_data_handle(st->args[a].mem,
                        ctx->workspace + st->args[a].offset)) != dnnl_success) {
                    return s;
                }
            }
            if (st->scratchpad != NULL && (s = p4j_api.dnnl_memory_set_data_handle(st->scratchpad,
                    ctx->workspace + st->scratchpad_offset)) != dnnl_success) {
                return s;
            }
        }
        c->generation = ctx->generation;
    }
    for (int u = 0; u < P4J_USERS; u++) {
        if (c->user[u] != NULL) {
            void* p = ptr[u] != NULL ? (void*) ptr[u] : (void*) (ctx->workspace + c->db_offset); /* only db may be absent */
            if ((s = p4j_api.dnnl_memory_set_data_handle(c->user[u], p)) != dnnl_success) {
                return s;
            }
        }
    }
    for (int i = 0; i < c->nsteps; i++) {
        p4j_step* st = &c->steps[i];
        dnnl_exec_arg_t args[5];
        int n = 0;
        for (int a = 0; a < st->nargs; a++) {
            p4j_arg* g = &st->args[a];
            dnnl_memory_t user = c->user[g->user];
            if (g->reorder != NULL && !g->output) {
                dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, g->mem}};
                if ((s = p4j_api.dnnl_primitive_execute(g->reorder, ctx->stream, 2, r)) != dnnl_success) {
                    return s;
                }
            }
            args[n].arg = g->arg;
            args[n].memory = g->mem != NULL ? g->mem : user;
            n++;
        }
        if (st->scratchpad != NULL) {
            args[n].arg = DNNL_ARG_SCRATCHPAD;
            args[n].memory = st->scratchpad;
            n++;
        }
        if ((s = p4j_api.dnnl_primitive_execute(st->prim, ctx->stream, n, args)) != dnnl_success) {
            return s;
        }
        for (int a = 0; a < st->nargs; a++) {
            p4j_arg* g = &st->args[a];
            if (g->reorder != NULL && g->output) {
                dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, g->mem}, {DNNL_ARG_TO, c->user[g->user]}};
                if ((s = p4j_api.dnnl_primitive_execute(g->reorder, ctx->stream, 2, r)) != dnnl_success) {
                    return s;
                }
            }
        }
    }
    /* the CPU stream runs each primitive before execute returns, but waiting costs nothing and
       is what the API promises: nothing of oneDNN's touches the arrays after this */
    return p4j_api.dnnl_stream_wait(ctx->stream);
}

/* y = conv(x, w) (+ b) (ReLU), as created, on the examples starting xoff and yoff elements into x
   and y (a chunk of a larger batch); b may be NULL when created without P4J_BIAS. */
static inline int p4j_dnnl_forward(int64_t handle, const float* x, int64_t xoff, const float* w, const float* b, float* y,
                                   int64_t yoff) {
    float* ptr[P4J_USERS] = {(float*) x + xoff, (float*) w, (float*) b, y + yoff, NULL, NULL, NULL};
    return p4j_run((p4j_conv*) (intptr_t) handle, ptr);
}

/* dx (if created with P4J_NEED_DX), dw and db (NULL: into the workspace) from dy, x and w. */
static inline int p4j_dnnl_backward(int64_t handle, const float* x, const float* w, const float* dy, float* dx, float* dw,
                                    float* db) {
    float* ptr[P4J_USERS] = {(float*) x, (float*) w, NULL, (float*) dy, dx, dw, db};
    return p4j_run((p4j_conv*) (intptr_t) handle, ptr);
}

static inline long p4j_dnnl_live_objects() {
    return p4j_live_objects.load();
}

static inline long p4j_dnnl_live_bytes() {
    return p4j_live_bytes.load();
}

#endif /* PRUNE4J_DNNL_H */
