package io.prune4j.backend.cuda;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Deliberately broken backends: the CPU backend with one operation wrong in the way a kernel goes
 * wrong (one element off by an ulp, the last element not written, an operand read transposed, two
 * mask entries exchanged, a comparison made strict), for {@link MutantBackendTest} to prove that the
 * parity checks catch a wrong device.
 *
 * <p>A mutant is a backend of its own, not the CPU backend under another name: its tensors wrap the
 * CPU backend's and name the mutant as their backend (so that layers built on it, which call
 * {@code weight.backend()}, call the mutant), and it refuses tensors of any other backend, as a
 * device backend does. It is a {@link Proxy}, so that it follows {@link Backend} as that interface
 * grows: every operation but the mutated one goes straight to the CPU backend.
 */
final class MutantBackend {
    private MutantBackend() {}

    /** What the mutant gets wrong. */
    enum Mutation {
        /** Nothing: the wrapper alone, which must pass every check. */
        NONE("none"),
        /** {@code axpy} leaves its middle element of {@code y} one ulp up (a bit-exact check's business). */
        AXPY_ONE_ULP("axpy one ulp up"),
        /** {@code sgdStep} leaves its middle weight one ulp up. */
        SGD_ONE_ULP("sgdStep one ulp up"),
        /** {@code gemm} leaves its middle element of {@code c} one ulp up: within any tolerance a product needs. */
        GEMM_ONE_ULP("gemm one ulp up"),
        /** {@code gemm} does not write the last element of {@code c}: it keeps what it held before the call. */
        GEMM_DROPS_LAST("gemm drops the last element"),
        /**
         * {@code gemm} reads {@code b} with its transpose flag flipped (and the matching leading
         * dimension, so that the shapes still fit): {@code op(b)} is the transpose of {@code b}'s
         * storage taken as the other shape, a wrong matrix wherever {@code b} has more than one row and column.
         */
        GEMM_TRANSPOSED_B("gemm reads b transposed"),
        /** {@code selectTopK} exchanges the first kept and the first dropped entry: the right count, the wrong units. */
        TOPK_SWAPS_TWO("selectTopK swaps two mask entries"),
        /** {@code maxPool2d} does not write the last argmax (an INT32 output): it keeps what it held before. */
        ARGMAX_DROPS_LAST("maxPool2d drops the last argmax"),
        /** {@code countAtLeast} counts {@code > threshold} instead of {@code ≥} (a scalar result). */
        COUNT_STRICT("countAtLeast counts > instead of >=");

        final String label;

        Mutation(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** A backend that is {@code cpu} but for {@code mutation}; closing it closes {@code cpu}. */
    static Backend of(Mutation mutation, CpuBackend cpu) {
        Handler h = new Handler(mutation, cpu);
        h.self = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, h);
        return h.self;
    }

    /** A tensor of the mutant: the CPU backend's tensor inside, the mutant as its backend. */
    static final class MutantTensor extends Tensor {
        final Tensor inner;
        private final Backend owner;

        MutantTensor(Backend owner, Tensor inner) {
            super(inner.dtype(), inner.shape());
            this.owner = owner;
            this.inner = inner;
        }

        @Override
        public Backend backend() {
            return owner;
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static final class Handler implements InvocationHandler {
        private final Mutation mutation;
        private final CpuBackend cpu;
        private Backend self;

        Handler(Mutation mutation, CpuBackend cpu) {
            this.mutation = mutation;
            this.cpu = cpu;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> name();
                };
            }
            if (method.getName().equals("name")) {
                return name();
            }
            Object[] a = args == null ? new Object[0] : args.clone();
            for (int i = 0; i < a.length; i++) {
                if (a[i] instanceof Tensor t) {
                    a[i] = unwrap(method.getName(), t);
                }
            }
            Object result = mutated(method, a);
            return result instanceof Tensor t ? new MutantTensor(self, t) : result;
        }

        private String name() {
            return cpu.name() + " (mutant: " + mutation + ")";
        }

        /** The CPU tensor inside one of this mutant's tensors; any other tensor is refused, with the CPU backend's words. */
        private Tensor unwrap(String op, Tensor t) {
            if (t instanceof MutantTensor m && m.owner == self) {
                return m.inner;
            }
            throw new IllegalArgumentException(op + ": tensor belongs to backend " + t.backend().name() + ", not " + name());
        }

        /** The operation on the CPU backend, wrong where the mutation says. */
        private Object mutated(Method method, Object[] a) throws Throwable {
            String op = method.getName();
            switch (mutation) {
                case AXPY_ONE_ULP -> {
                    if (op.equals("axpy")) {
                        call(method, a);
                        oneUlpUp((Tensor) a[0]);
                        return null;
                    }
                }
                case SGD_ONE_ULP -> {
                    if (op.equals("sgdStep")) {
                        call(method, a);
                        oneUlpUp((Tensor) a[0]);
                        return null;
                    }
                }
                case GEMM_ONE_ULP -> {
                    if (op.equals("gemm")) {
                        call(method, a);
                        oneUlpUp((Tensor) a[0]);
                        return null;
                    }
                }
                case GEMM_DROPS_LAST -> {
                    if (op.equals("gemm")) {
                        Tensor c = (Tensor) a[0];
                        float[] before = cpu.toFloatArray(c);
                        call(method, a);
                        if (before.length > 0) {
                            float[] after = cpu.toFloatArray(c);
                            after[after.length - 1] = before[before.length - 1];
                            cpu.upload(c, after);
                        }
                        return null;
                    }
                }
                case GEMM_TRANSPOSED_B -> {
                    if (op.equals("gemm")) {
                        Tensor b = (Tensor) a[3];
                        if (b.rank() == 2) {
                            // the same storage as the other shape, read with the other flag: op(b) keeps its shape
                            try (Tensor swapped = cpu.reshape(b, b.dim(1), b.dim(0))) {
                                cpu.gemm((Tensor) a[0], (Tensor) a[1], (boolean) a[2], swapped, !(boolean) a[4], (float) a[5], (float) a[6]);
                            }
                            return null;
                        }
                    }
                }
                case TOPK_SWAPS_TWO -> {
                    if (op.equals("selectTopK")) {
                        call(method, a);
                        Tensor mask = (Tensor) a[0];
                        float[] m = cpu.toFloatArray(mask);
                        int kept = -1;
                        int dropped = -1;
                        for (int i = 0; i < m.length && (kept < 0 || dropped < 0); i++) {
                            if (m[i] != 0f && kept < 0) kept = i;
                            if (m[i] == 0f && dropped < 0) dropped = i;
                        }
                        if (kept >= 0 && dropped >= 0) {
                            m[kept] = 0f;
                            m[dropped] = 1f;
                            cpu.upload(mask, m);
                        }
                        return null;
                    }
                }
                case ARGMAX_DROPS_LAST -> {
                    if (op.equals("maxPool2d")) {
                        Tensor argmax = (Tensor) a[1];
                        int[] before = cpu.toIntArray(argmax);
                        call(method, a);
                        if (before.length > 0) {
                            int[] after = cpu.toIntArray(argmax);
                            after[after.length - 1] = before[before.length - 1];
                            cpu.upload(argmax, after);
                        }
                        return null;
                    }
                }
                case COUNT_STRICT -> {
                    if (op.equals("countAtLeast")) {
                        return cpu.countAtLeast((Tensor) a[0], Math.nextUp((float) a[1]));
                    }
                }
                case NONE -> { }
            }
            return call(method, a);
        }

        private Object call(Method method, Object[] a) throws Throwable {
            try {
                return method.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        /** Moves the middle element of a FLOAT32 tensor one ulp up. */
        private void oneUlpUp(Tensor t) {
            float[] v = cpu.toFloatArray(t);
            if (v.length > 0) {
                v[v.length / 2] = Math.nextUp(v[v.length / 2]);
                cpu.upload(t, v);
            }
        }
    }
}
