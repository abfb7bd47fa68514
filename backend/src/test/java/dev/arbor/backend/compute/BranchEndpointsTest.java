package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.Procs;
import dev.arbor.backend.compute.volume.LocalWal;
import dev.arbor.storage.TimelineId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Endpoints on branches of the real page store, reached only through the proxy with psql and pgjdbc. */
class BranchEndpointsTest {
    static ComputeHarness h;

    @BeforeAll
    static void up() throws Exception { h = new ComputeHarness(Duration.ofMinutes(5)); }

    @AfterAll
    static void down() throws Exception { if (h != null) h.close(); }

    private static String psqlValue(String endpoint, String sql) throws Exception {
        Procs.Result r = ComputeHarness.psql(h.uri(endpoint), sql);
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output().trim();
    }

    @Test
    void branchSeesParentDataAndTheyDivergeIndependently() throws Exception {
        TimelineId root = h.newRoot();
        h.compute.applyConfig(h.endpoint("ep-main", root, "read_write", -1));
        psqlValue("ep-main", "CREATE TABLE items(id int primary key, v text); INSERT INTO items SELECT g, 'main' FROM generate_series(1,100) g");

        // branch while the parent's postgres runs: the child starts from a crash-consistent image (first, as the API
        // does, the parent's WAL goes into the store)
        h.compute.checkpoint(root);
        TimelineId child = h.store.branch(root);
        h.compute.applyConfig(h.endpoint("ep-child", child, "read_write", -1));
        assertThat(psqlValue("ep-child", "SELECT count(*) FROM items")).isEqualTo("100");

        // write on the child: the parent does not see it
        psqlValue("ep-child", "INSERT INTO items SELECT g, 'child' FROM generate_series(101,1100) g");
        assertThat(psqlValue("ep-child", "SELECT count(*) FROM items")).isEqualTo("1100");
        assertThat(psqlValue("ep-main", "SELECT count(*) FROM items")).isEqualTo("100");

        // and vice versa, through pgjdbc this time
        try (Connection c = h.jdbc("ep-main"); var st = c.createStatement()) {
            st.executeUpdate("UPDATE items SET v = 'changed-on-main' WHERE id <= 10");
            st.executeUpdate("DELETE FROM items WHERE id > 90");
        }
        assertThat(psqlValue("ep-main", "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = 'changed-on-main') FROM items")).isEqualTo("90 10");
        assertThat(psqlValue("ep-child", "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = 'changed-on-main') FROM items")).isEqualTo("1100 0");

        // suspend the child (postgres stopped, volume unmounted); a connection wakes it with its data intact
        h.compute.suspend("ep-child");
        assertThat(h.compute.status("ep-child")).isInstanceOf(EndpointStatus.Suspended.class);
        assertThat(psqlValue("ep-child", "SELECT count(*) FROM items WHERE v = 'child'")).isEqualTo("1000");
        assertThat(h.compute.status("ep-child")).isInstanceOf(EndpointStatus.Running.class);
    }

    @Test
    void anEndpointWhoseSocketPathWouldOverflowSunPathStillStartsAndServes() throws Exception {
        // a 63-character id (the longest DNS label SNI routing takes) under the data dir: the socket directory alone
        // is longer than postgres' 107-byte limit for a unix socket path
        String id = "ep-" + "long".repeat(15);
        assertThat(h.compute.endpointDir(id).resolve("run").toAbsolutePath().toString().length())
                .isGreaterThan(dev.arbor.backend.compute.process.PostgresServer.MAX_SOCKET_DIR);
        TimelineId root = h.newRoot();
        h.compute.applyConfig(h.endpoint(id, root, "read_write", -1));
        psqlValue(id, "CREATE TABLE t(v int); INSERT INTO t VALUES (7)");
        assertThat(psqlValue(id, "SELECT v FROM t")).isEqualTo("7");
        // suspended and woken again: the same short link serves the restarted postmaster
        h.compute.suspend(id);
        assertThat(psqlValue(id, "SELECT v + 1 FROM t")).isEqualTo("8");
    }

    @Test
    void readOnlyEndpointServesTheBranchAndRefusesWrites() throws Exception {
        TimelineId root = h.newRoot();
        h.compute.applyConfig(h.endpoint("ep-rw", root, "read_write", -1));
        psqlValue("ep-rw", "CREATE TABLE facts(x int); INSERT INTO facts SELECT generate_series(1,50)");
        long headBefore = h.store.store.info(root).headLsn().value();

        h.endpoint("ep-ro", root, "read_only", -1);
        assertThat(psqlValue("ep-ro", "SELECT sum(x) FROM facts")).isEqualTo("1275");
        assertThat(psqlValue("ep-ro", "SELECT pg_is_in_recovery()")).isEqualTo("t");

        Procs.Result write = ComputeHarness.psql(h.uri("ep-ro"), "INSERT INTO facts VALUES (51)");
        assertThat(write.exit()).isNotZero();
        assertThat(write.output()).contains("cannot execute INSERT in a read-only transaction");
        try (Connection c = h.jdbc("ep-ro"); var st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("CREATE TABLE nope(x int)"))
                    .isInstanceOf(PSQLException.class).hasMessageContaining("read-only transaction");
            // even after asking for a read-write transaction: a hot standby cannot write
            assertThatThrownBy(() -> st.execute("SET transaction_read_only = off"))
                    .isInstanceOf(PSQLException.class).hasMessageContaining("recovery");
        }
        // the read-only endpoint's postgres wrote only to its scratch timeline: suspend it and the
        // branch's head has moved only by what the read-write endpoint did (nothing, here)
        h.compute.suspend("ep-ro");
        h.compute.suspend("ep-rw");
        long headAfterRwStop = h.store.store.info(root).headLsn().value();
        assertThat(headAfterRwStop).isGreaterThanOrEqualTo(headBefore);
        h.endpoint("ep-ro", root, "read_only", -1);
        assertThat(psqlValue("ep-ro", "SELECT count(*) FROM facts")).isEqualTo("50");
        h.compute.suspend("ep-ro");
        assertThat(h.store.store.info(root).headLsn().value()).isEqualTo(headAfterRwStop);
        assertThat(h.store.store.timelines()).noneMatch(t -> root.equals(t.ancestor())); // scratch timelines are gone
    }

    @Test
    void timeTravelEndpointServesThePastReadOnly() throws Exception {
        TimelineId root = h.newRoot();
        h.compute.applyConfig(h.endpoint("ep-tt-main", root, "read_write", -1));
        psqlValue("ep-tt-main", "CREATE TABLE ledger(x int); INSERT INTO ledger SELECT generate_series(1,50)");
        // postgres' WAL reaches the store within LocalWal.COPY_INTERVAL, and at once before a branch is taken
        h.compute.checkpoint(root);
        var past = h.store.store.info(root).headLsn();
        psqlValue("ep-tt-main", "INSERT INTO ledger SELECT generate_series(51,100); DROP TABLE IF EXISTS nothing");

        var spec = h.endpoint("ep-tt-past", root, "read_write", -1);
        h.compute.startAt(spec, past);
        assertThat(psqlValue("ep-tt-past", "SELECT count(*) FROM ledger")).isEqualTo("50");
        Procs.Result write = ComputeHarness.psql(h.uri("ep-tt-past"), "DELETE FROM ledger");
        assertThat(write.output()).contains("read-only transaction");
        assertThat(psqlValue("ep-tt-main", "SELECT count(*) FROM ledger")).isEqualTo("100");
    }

    @Test
    void walIsOnLocalDiskAndABranchAtATimeHoldsEveryCommitAcknowledgedByThen() throws Exception {
        TimelineId root = h.newRoot();
        h.compute.applyConfig(h.endpoint("ep-pitr", root, "read_write", -1));
        psqlValue("ep-pitr", "CREATE TABLE t(x int)");
        // commits go to postgres' pg_wal on the local disk, a symlink the volume presents
        assertThat(java.nio.file.Files.isSymbolicLink(h.compute.config().computeDir().resolve("ep-pitr").resolve("pgdata").resolve("pg_wal"))).isTrue();
        for (int i = 1; i <= 5; i++) {
            psqlValue("ep-pitr", "INSERT INTO t VALUES (" + i + ")");
            java.time.Instant acked = java.time.Instant.now();
            if (i % 2 == 0) Thread.sleep(300);  // a time already past: read from what the copies put in, no flush
            // as the API's branch at a timestamp (Steps) and a time-travel endpoint read it
            var point = dev.arbor.storage.BranchPoint.at(acked);
            if (LocalWal.isRecent(point)) h.compute.flushWal(root);
            var spec = h.endpoint("ep-pitr-" + i, root, "read_write", -1);
            h.compute.startAt(spec, h.store.store.resolve(root, LocalWal.covering(point)));
            assertThat(psqlValue("ep-pitr-" + i, "SELECT count(*) FROM t")).as("commit %d, acknowledged at %s", i, acked)
                    .isEqualTo(Integer.toString(i));
            h.compute.suspend("ep-pitr-" + i);
        }
    }
}
