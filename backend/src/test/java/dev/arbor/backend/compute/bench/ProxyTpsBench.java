package dev.arbor.backend.compute.bench;

import dev.arbor.backend.compute.EndpointStatus;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.TimelineId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The proxy's data phase alone: pgbench rw and ro on a branch endpoint of a scale-{@code BENCH_SCALE} dataset,
 * native (plaintext and TLS), direct, and through the proxy (TLS and plaintext), {@code BENCH_ROUNDS} interleaved
 * rounds: {@code scripts/bench-compute --tps}.
 */
public final class ProxyTpsBench {
    public static void main(String[] args) throws Exception {
        try (ComputeBench b = new ComputeBench()) {
            System.out.printf("== bench-compute --tps: %d cores, pgbench -c 4 -j 2 -T %d, scale %d, %d rounds, Vert.x transport %s%n",
                    Runtime.getRuntime().availableProcessors(), b.seconds, b.bigScale, b.rounds,
                    b.vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO");
            TimelineId data = b.dataset("ep-data", b.bigScale);
            b.cm.suspend("ep-data");
            Path copy = b.nativeCopy(data);
            Path sock = Files.createDirectories(b.dir.resolve("native-sock"));
            ComputeBench.client("chown", List.of(b.pg.runAs().uid() + ":" + b.pg.runAs().gid(), sock.toString()));
            ComputeBench.Native nat = b.nativeStart(copy, sock);
            b.cm.checkpoint(data);  // as the API's branch creation does: the parent's local WAL into the store
            b.cm.applyConfig(b.spec("ep-tps", b.store.branch(data, BranchPoint.head())));
            int branchPort = ((EndpointStatus.Running) b.cm.status("ep-tps")).port();
            try {
                b.tpsMatrix(nat.port(), "ep-tps", branchPort, b.rounds);
            } finally {
                b.nativeStop(copy);
            }
        }
        System.exit(0);
    }
}
