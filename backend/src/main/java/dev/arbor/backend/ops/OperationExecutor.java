package dev.arbor.backend.ops;

import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationAction;
import dev.arbor.backend.meta.OperationStatus;
import dev.arbor.backend.meta.Operations;
import dev.arbor.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * Runs operations. The API inserts operation rows (status {@code scheduling}) in the same transaction as
 * the metadata change, then hands the chain here after commit. Each chain runs in order on its own
 * virtual thread; steps touching the same endpoint (or branch) never run at the same time. Unfinished
 * operations found at start (the server was stopped or killed) are run again: every step is idempotent.
 * A transient failure is retried a few times with back-off; a {@link PermanentFailure} or storage
 * error fails the operation at once with its message.
 */
public final class OperationExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OperationExecutor.class);
    private static final int MAX_ATTEMPTS = 3;

    private final Db db;
    private final Map<OperationAction, Step> steps;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("op-", 0).factory());
    private final Map<String, ReentrantLock> subjectLocks = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile OperationListener listener = OperationListener.NONE;
    /** Cluster mode: this node runs only its own projects' operations (see {@link #serveOnly}). */
    private volatile Predicate<String> serves = p -> true;
    private volatile boolean cluster;
    /** Operations running on some thread of this executor (a sweep may find one a chain is running). */
    private final Set<UUID> inFlight = ConcurrentHashMap.newKeySet();

    public OperationExecutor(Db db, Map<OperationAction, Step> steps) {
        this.db = db;
        this.steps = Map.copyOf(steps);
    }

    /** Runs these operations, in this order, after the transaction that created them committed. */
    public void submit(List<Operation> chain) {
        if (chain.isEmpty() || closed) return;
        threads.execute(() -> chain.forEach(this::runQuietlyAtShutdown));
    }

    /** At shutdown a step's database call fails by interruption; the operation resumes at the next start. */
    private void runQuietlyAtShutdown(Operation op) {
        if (!serves.test(op.projectId())) return;  // another node's project: its owner runs it
        if (!inFlight.add(op.id())) return;
        org.slf4j.MDC.put("operation_id", op.id().toString());  // on every log line written while it runs
        try {
            runOne(op);
        } catch (RuntimeException e) {
            if (!closed) throw e;
        } finally {
            org.slf4j.MDC.remove("operation_id");
            inFlight.remove(op.id());
        }
    }

    /**
     * Cluster mode: operations of projects {@code serves} rejects are left to the node that owns them, and an
     * operation whose dependency is still unfinished waits for the next {@link #sweep} instead of running.
     */
    public void serveOnly(Predicate<String> serves) {
        this.serves = serves;
        this.cluster = true;
    }

    /**
     * Cluster mode: runs the unfinished operations of these projects that no thread here is running, oldest
     * first (operations another node created, or left unfinished when their node died). Returns how many it found.
     */
    public int sweep(Set<String> projects) {
        return projects.isEmpty() ? 0 : runUnfinished(o -> projects.contains(o.projectId()));
    }

    /** At start: runs every operation left unfinished by the previous run, oldest first. */
    public int resumeUnfinished() {
        int n = runUnfinished(o -> true);
        if (n > 0) log.info("resuming {} unfinished operation(s) from the previous run", n);
        return n;
    }

    /** Runs, in order on one thread, the unfinished operations {@code which} picks that no thread here is running. */
    private int runUnfinished(Predicate<Operation> which) {
        if (closed) return 0;
        List<Operation> pending = db.tx(Operations::unfinished).stream().filter(o -> which.test(o) && !inFlight.contains(o.id())).toList();
        if (!pending.isEmpty()) threads.execute(() -> pending.forEach(this::runQuietlyAtShutdown));
        return pending.size();
    }

    private void runOne(Operation submitted) {
        if (closed) return;
        Optional<Operation> current = db.tx(c -> Operations.get(c, submitted.id()));
        if (current.isEmpty() || !current.get().status().unfinished()) return;
        Operation op = current.get();
        if (op.dependsOn().isPresent()) {
            Optional<Operation> dep = db.tx(c -> Operations.get(c, op.dependsOn().get()));
            OperationStatus ds = dep.map(Operation::status).orElse(OperationStatus.finished);
            if (cluster && ds.unfinished()) return;  // the next sweep runs it
            if (ds == OperationStatus.failed || ds == OperationStatus.error || ds == OperationStatus.cancelled) {
                finish(op, OperationStatus.failed, op.failuresCount(), "operation " + op.dependsOn().get() + " it depends on did not finish ("
                        + ds + ")");
                return;
            }
        }
        String subject = op.endpointId().or(op::branchId).orElse(op.projectId());
        ReentrantLock lock = subjectLocks.computeIfAbsent(subject, k -> new ReentrantLock());
        lock.lock();
        try {
            execute(op);
        } finally {
            lock.unlock();
        }
    }

    private void execute(Operation op) {
        Step step = steps.get(op.action());
        if (step == null) {
            finish(op, OperationStatus.failed, op.failuresCount(), "no step registered for action " + op.action());
            return;
        }
        int failures = op.failuresCount();
        db.tx(c -> { Operations.setStatus(c, op.id(), OperationStatus.running, op.failuresCount(), null, Instant.now()); return null; });
        while (!closed) {
            try {
                StepResult r = step.run(op);
                switch (r) {
                    case StepResult.Done d -> finish(op, OperationStatus.finished, failures, null);
                    case StepResult.Skipped s -> finish(op, OperationStatus.skipped, failures, s.reason());
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // shutting down: stays 'running' and is resumed at the next start
            } catch (PermanentFailure | StorageException | IllegalArgumentException e) {
                finish(op, OperationStatus.failed, failures + 1, e.getMessage());
                return;
            } catch (Exception e) {
                if (closed) return;
                failures++;
                log.warn("operation {} {} failed (attempt {}): {}", op.id(), op.action(), failures, e.toString());
                if (failures >= MAX_ATTEMPTS) {
                    finish(op, OperationStatus.failed, failures, String.valueOf(e.getMessage()));
                    return;
                }
                int f = failures;
                db.tx(c -> { Operations.setStatus(c, op.id(), OperationStatus.running, f, String.valueOf(e.getMessage()), Instant.now()); return null; });
                try {
                    Thread.sleep(500L * failures);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void finish(Operation op, OperationStatus status, int failures, String error) {
        if (closed && status != OperationStatus.finished && status != OperationStatus.skipped) return;
        db.tx(c -> { Operations.setStatus(c, op.id(), status, failures, error, Instant.now()); return null; });
        listener.settled(op, status);
        if (status == OperationStatus.failed) log.warn("operation {} {} failed: {}", op.id(), op.action(), error);
    }

    /** Metrics: one listener told of every operation this executor settles. */
    public void listen(OperationListener l) { this.listener = l; }

    @Override
    public void close() {
        closed = true;
        threads.shutdownNow();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
