package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import dev.arbor.backend.compute.volume.Mounts;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A new server on the same data directory clears what a dead one left running: postgres and its mount. */
class ReconcileTest {
    @Test
    void restartKillsStalePostgresAndClearsStaleMounts() throws Exception {
        try (var h = new ComputeHarness(Duration.ofMinutes(5))) {
            var root = h.newRoot();
            h.compute.applyConfig(h.endpoint("ep-stale", root, "read_write", -1));
            assertThat(ComputeHarness.psql(h.uri("ep-stale"), "CREATE TABLE t AS SELECT 1 AS x").exit()).isZero();
            long oldPid = h.compute.postgresPid("ep-stale").orElseThrow();
            Path mnt = h.compute.endpointDir("ep-stale").resolve("pgdata");

            // the old manager stops acting but its postgres and mount live on, as after a hard crash of its supervisor
            h.compute.freezeForTesting();
            var next = new ComputeManager(h.compute.config(), h.store.trees());
            next.recoverAfterRestart();
            assertThat(Procs.alive(oldPid)).as("stale postmaster killed").isFalse();
            assertThat(Mounts.isMounted(mnt)).as("stale mount detached").isFalse();

            h.compute = next;
            next.setRegistry(new dev.arbor.backend.ops.EndpointRegistry() {
                @Override public java.util.Optional<dev.arbor.backend.ops.EndpointSpec> spec(String id) { return java.util.Optional.ofNullable(h.specs.get(id)); }
                @Override public void reportActive(String id) {}
                @Override public void reportIdle(String id) {}
            });
            Procs.Result r = ComputeHarness.psql(h.uri("ep-stale"), "SELECT x FROM t");
            assertThat(r.output().trim()).isEqualTo("1");
            assertThat(h.compute.postgresPid("ep-stale")).isPresent().get().isNotEqualTo(oldPid);
        }
    }
}
