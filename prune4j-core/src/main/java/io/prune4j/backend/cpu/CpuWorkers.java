package io.prune4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The backend's Java worker threads: {@code threads − 1} pool threads plus the caller, which runs
 * the first chunk itself. Shared by the convolutions (split over examples) and the per-channel
 * operations (split over channels), so one backend never holds more threads than it was given.
 *
 * <p>Every split is into contiguous chunks by a formula of the item count and the thread count
 * alone, and no item is shared by two workers, so a given thread count always produces the same
 * chunks, and an operation that keeps each reduction inside one item is bit-identical whatever the
 * thread count. A backend, like its tensors, is used by one thread at a time; so is this class.
 */
final class CpuWorkers implements AutoCloseable {
    /**
     * Below this many elements touched, an operation runs on the caller's thread only: waking a pool
     * thread and waiting for it costs some tens of microseconds on an idle machine (and hundreds when
     * other processes keep the cores busy), about what 10⁵ element operations of a memory-bound loop take.
     */
    static final long SERIAL_WORK = 1L << 17;

    private final int threads;
    private ExecutorService pool;

    CpuWorkers(int threads) {
        this.threads = threads;
    }

    int threads() {
        return threads;
    }

    /** Work on items {@code [from, to)} by worker {@code worker} (0 is the caller). */
    interface Chunk {
        void run(int worker, int from, int to);
    }

    /**
     * {@link #parallel(int, Chunk)}, or one chunk on the caller's thread when the operation touches
     * fewer than {@link #SERIAL_WORK} elements in all.
     */
    int parallel(int n, long work, Chunk chunk) {
        if (work < SERIAL_WORK) {
            chunk.run(0, 0, n);
            return 1;
        }
        return parallel(n, chunk);
    }

    /**
     * Splits {@code [0, n)} into contiguous chunks, one per worker, runs them (the caller runs the
     * first) with OpenBLAS single-threaded meanwhile, and returns how many workers ran.
     */
    int parallel(int n, Chunk chunk) {
        int workers = Math.max(1, Math.min(threads, n));
        if (workers == 1) {
            chunk.run(0, 0, n);
            return 1;
        }
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "prune4j-cpu");
                t.setDaemon(true);
                return t;
            });
        }
        openblas_nolapack.blas_set_num_threads(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 1; w < workers; w++) {
                int worker = w;
                futures.add(pool.submit(() -> chunk.run(worker, (int) ((long) worker * n / workers),
                        (int) ((long) (worker + 1) * n / workers))));
            }
            RuntimeException failure = null;
            try {
                chunk.run(0, 0, n / workers);
            } catch (RuntimeException e) {
                failure = e;
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted during a parallel operation", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return workers;
        } finally {
            openblas_nolapack.blas_set_num_threads(threads);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            pool = null;
        }
    }
}
