package io.prune4j.io;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.nio.file.Path;
import java.util.Map;

/** Child process for {@link KillDuringSaveTest}: saves a large model to one path over and over until killed. */
public final class SaveLoop {
    private SaveLoop() {}

    public static void main(String[] args) {
        Path target = Path.of(args[0]);
        CpuBackend cpu = new CpuBackend(1);
        for (int i = 0; ; i++) {
            // a different network each time, so a torn write would mix two versions
            try (Graph net = Models.mlp(cpu, 784, new int[] {2048, 1024}, 10, i)) {
                ModelFile.save(net, target, Map.of("iteration", Integer.toString(i)));
            }
            System.out.println("saved " + i);
            System.out.flush();
        }
    }
}
