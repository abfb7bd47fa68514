package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.PgInstall;
import dev.arbor.backend.compute.volume.MemoryTree;
import dev.arbor.backend.ops.EndpointSpec;
import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.FileTree;
import dev.arbor.storage.TimelineId;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

class ComputeSmokeTest {
    static final class MemoryTrees implements TimelineTrees {
        final Map<TimelineId, MemoryTree> trees = new ConcurrentHashMap<>();
        final Path dir;
        MemoryTrees(Path dir) { this.dir = dir; }
        TimelineId create() { var t = new MemoryTree(false); trees.put(t.timeline(), t); return t.timeline(); }
        @Override public FileTree writable(TimelineId t) { return trees.get(t); }
        @Override public TimelineId createScratch(TimelineId parent, BranchPoint p) { var c = trees.get(parent).copy(false); trees.put(c.timeline(), c); return c.timeline(); }
        @Override public void dropScratch(TimelineId s) { trees.remove(s); }
        @Override public Path storeDir() { return dir; }
    }

    @Test
    void postgresRunsOnAFuseVolume() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "arbor-compute-smoke-", java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        var trees = new MemoryTrees(dir);
        var cfg = new ComputeConfig(dir, PgInstall.locate(), Duration.ofMinutes(5), Duration.ofSeconds(60), Duration.ofSeconds(1));
        try (var cm = new ComputeManager(cfg, trees)) {
            TimelineId root = trees.create();
            long t0 = System.nanoTime();
            cm.initTimeline(root);
            System.out.println("init ms " + (System.nanoTime() - t0) / 1e6);
            var spec = new EndpointSpec("p1", "ep-smoke", "br-1", root, "read_write", 15, 0.25, 1, 0, Map.of(),
                    List.of(new EndpointSpec.RoleSpec("owner", "secret-pw", false)), List.of(new EndpointSpec.DatabaseSpec("appdb", "owner")));
            t0 = System.nanoTime();
            cm.start(spec);
            System.out.println("start ms " + (System.nanoTime() - t0) / 1e6);
            cm.applyConfig(spec);
            String out = cm.adminSql("ep-smoke", "appdb", "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1,1000); SELECT count(*) FROM t;");
            assertThat(out.trim()).isEqualTo("1000");
            var ro = new EndpointSpec("p1", "ep-ro", "br-1", root, "read_only", 15, 0.25, 1, 0, Map.of(), List.of(), List.of());
            cm.start(ro);
            assertThat(cm.adminSql("ep-ro", "appdb", "SELECT count(*) FROM t;").trim()).isEqualTo("1000");
            cm.suspend(spec);
            cm.start(spec);
            assertThat(cm.adminSql("ep-smoke", "appdb", "SELECT count(*) FROM t;").trim()).isEqualTo("1000");
        }
    }
}
