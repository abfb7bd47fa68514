package dev.arbor.backend.compute;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every acknowledged commit survives: pgbench-style single-row commits from concurrent clients through the
 * proxy, first a SIGKILL of the postgres processes mid-run (compute restarts it on the same volume), then
 * the whole serving process "dying" (postgres killed, mounts gone, the page store losing every unsynced byte).
 */
class DurabilityTest {
    private ComputeHarness h;

    @AfterEach
    void down() throws Exception { if (h != null) h.close(); }

    /** Clients inserting one row per transaction; an id is recorded only after its COMMIT returned. */
    private static final class Writers {
        final Set<Long> acked = ConcurrentHashMap.newKeySet();
        final AtomicLong nextId = new AtomicLong(1);
        final AtomicLong errors = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();

        Writers(ComputeHarness h, String endpoint, int clients) {
            for (int i = 0; i < clients; i++) {
                threads.add(Thread.ofPlatform().name("writer-" + i).start(() -> {
                    while (!stop.get()) {
                        try (Connection c = h.jdbc(endpoint);
                             PreparedStatement ps = c.prepareStatement("INSERT INTO acked(id, filler) VALUES (?, repeat('x', 200))")) {
                            while (!stop.get()) {
                                long id = nextId.getAndIncrement();
                                ps.setLong(1, id);
                                ps.executeUpdate(); // autocommit: returns after the commit is acknowledged
                                acked.add(id);
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            sleep(100);
                        }
                    }
                }));
            }
        }

        void stopAndJoin() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) t.join(60_000);
        }
    }

    private static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    private Set<Long> idsInDatabase(String endpoint) throws Exception {
        Set<Long> ids = new HashSet<>();
        try (Connection c = h.jdbc(endpoint); var st = c.createStatement(); var rs = st.executeQuery("SELECT id FROM acked")) {
            while (rs.next()) ids.add(rs.getLong(1));
        }
        return ids;
    }

    private void awaitAcked(Writers w, int more) {
        int target = w.acked.size() + more;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (w.acked.size() < target && System.nanoTime() < deadline) sleep(50);
        assertThat(w.acked.size()).as("commits acknowledged").isGreaterThanOrEqualTo(target);
    }

    @Test
    void acknowledgedCommitsSurvivePostgresKillAndServerCrash() throws Exception {
        h = new ComputeHarness(Duration.ofMinutes(5));
        var root = h.newRoot();
        String ep = "ep-durable";
        h.compute.applyConfig(h.endpoint(ep, root, "read_write", -1));
        try (Connection c = h.jdbc(ep); var st = c.createStatement()) {
            st.execute("CREATE TABLE acked(id bigint primary key, filler text)");
        }

        Writers w = new Writers(h, ep, 3);
        awaitAcked(w, 300);

        // 1. kill -9 of every postgres process of the endpoint, mid-run; compute restarts it
        long pid = h.compute.postgresPid(ep).orElseThrow();
        ComputeManager.killTree(pid);
        int ackedAtKill = w.acked.size();
        awaitAcked(w, 300);
        assertThat(h.compute.postgresPid(ep)).isPresent().get().isNotEqualTo(pid);
        assertThat(w.errors.get()).as("clients saw the crash").isPositive();

        // 2. the serving process dies mid-run: postgres killed, FUSE gone, unsynced store bytes lost
        h.crashServerAndRestart(42);
        w.stopAndJoin();
        Set<Long> acked = Set.copyOf(w.acked);

        Set<Long> present = idsInDatabase(ep); // the proxy wakes the endpoint on the restarted server
        assertThat(acked.size()).isGreaterThan(ackedAtKill + 300);
        Set<Long> lost = new HashSet<>(acked);
        lost.removeAll(present);
        System.out.printf("durability: %d commits acknowledged, %d present after crashes, %d lost, %d client errors%n",
                acked.size(), present.size(), lost.size(), w.errors.get());
        assertThat(lost).as("acknowledged commits missing after the crashes").isEmpty();
    }
}
