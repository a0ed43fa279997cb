package io.prune4j.backend.cuda;

import io.prune4j.backend.DeviceUnavailableException;
import org.bytedeco.javacpp.Loader;

/**
 * Loading the bytedeco bindings of the CUDA libraries (cuBLAS, cuDNN) on first use, with one-line
 * errors that say which library files the binding wanted. The bindings are JNI glue
 * ({@code libjnicublas.so}, {@code libjnicudnn.so} from the {@code org.bytedeco:cuda} jar) linked
 * against the CUDA 13 sonames ({@code libcublas.so.13}, {@code libcublasLt.so.13},
 * {@code libcudnn_*.so.9}, and through the cudart binding {@code libcudart.so.13} and the driver's
 * {@code libcuda.so.1}); the libraries themselves come from the machine ({@code LD_LIBRARY_PATH}:
 * a CUDA toolkit or the {@code nvidia-*-cu13} pip wheels, which {@code scripts/gpu-run.sh} adds).
 */
final class CudaLibraries {
    private CudaLibraries() {}

    static final String CUBLAS_NEEDS = "libcublas.so.13 and libcublasLt.so.13 (cuBLAS 13), libcudart.so.13 and the driver's libcuda.so.1";
    static final String CUDNN_NEEDS = "libcudnn.so.9 with libcudnn_graph/ops/cnn/adv.so.9 and its engine libraries (cuDNN 9 for CUDA 13)";

    /**
     * Loads the binding {@code cls} (e.g. {@code org.bytedeco.cuda.global.cublas}); any failure is a
     * {@link DeviceUnavailableException} naming the library, what it needs and the loader's message.
     */
    static void load(Class<?> cls, String library, String needs) {
        try {
            Loader.load(cls);
        } catch (Throwable e) {   // UnsatisfiedLinkError, NoClassDefFoundError after a failed class init, ...
            throw failure(library, needs, e);
        }
    }

    static DeviceUnavailableException failure(String library, String needs, Throwable e) {
        String m = rootMessage(e);
        String why;
        if (m.matches("(?s).*version [`'‘][^`'’]*[`'’] not found.*")) {
            why = "the " + library + " libraries on LD_LIBRARY_PATH carry other version names than bytedeco's binding"
                    + " (org.bytedeco:cuda " + presetVersion() + ") was linked against; it needs " + needs
                    + ": put matching CUDA 13 libraries first on LD_LIBRARY_PATH";
        } else if (m.contains("cannot open shared object file") || m.contains("no jni") || m.contains("Could not find")) {
            why = "a library of bytedeco's binding (org.bytedeco:cuda " + presetVersion() + ") was not found; it needs " + needs
                    + " on LD_LIBRARY_PATH (a CUDA 13 toolkit's lib64, or the lib folders of the nvidia-*-cu13 pip wheels)";
        } else {
            why = "bytedeco's binding (org.bytedeco:cuda " + presetVersion() + ") did not load; it needs " + needs
                    + " on LD_LIBRARY_PATH";
        }
        return new DeviceUnavailableException("cannot use " + library + ": " + why + " (" + m + ")", e);
    }

    /**
     * The message that says what really failed: JavaCPP's own ("no jnicudart in java.library.path")
     * wraps the dynamic loader's ("libjnicudart.so: libcuda.so.1: cannot open shared object file"),
     * so the deepest message that names a shared object wins; cache folders are cut to the file name.
     */
    static String rootMessage(Throwable e) {
        String best = null;
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
        todo.add(e);
        while (!todo.isEmpty()) {
            Throwable t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            String m = t.getMessage();
            if (m != null && (m.contains(".so") || m.contains("version"))) {
                best = m;
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            todo.addAll(java.util.Arrays.asList(t.getSuppressed()));
        }
        if (best == null) {
            return CudaRuntime.oneLine(e);
        }
        return best.replaceAll("/\\S*/(lib[^/\\s:]*\\.so[.0-9]*)", "$1").replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    /** The version of the org.bytedeco:cuda jar on the class path, e.g. 13.1-9.19-1.5.13. */
    static String presetVersion() {
        try {
            String v = Loader.getVersion("org.bytedeco", "cuda");
            if (v != null) {
                return v;
            }
        } catch (Throwable ignored) {
            // fall through
        }
        return "13.1-9.19-1.5.13";
    }
}
