package dev.arbor.backend;

import dev.arbor.backend.api.BranchesApi;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.ops.OperationExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Deletes branches whose {@code expires_at} has passed (every few seconds, on a virtual thread). */
final class Expiry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Expiry.class);
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("branch-expiry").factory());

    Expiry(Db db, OperationExecutor executor, BranchesApi branches) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                int n = branches.deleteExpired();
                if (n > 0) log.info("deleted {} expired branch(es)", n);
            } catch (RuntimeException e) {
                log.warn("branch expiry pass failed: {}", e.toString());
            }
        }, 5, 5, TimeUnit.SECONDS);
    }

    @Override
    public void close() { timer.shutdownNow(); }
}
