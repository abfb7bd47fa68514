package dev.arbor.backend.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What {@code /readyz} checks: each probe runs on its own virtual thread with a deadline, so a metadata
 * database that does not answer (the pool would wait 20 s for a connection) makes the server "not ready
 * within the timeout" instead of hanging the prober.
 */
public final class Readiness {
    /** A named probe: returns a short detail when healthy, throws with the reason otherwise. */
    public record Check(String name, Callable<String> probe) {}

    public record Result(String name, boolean ok, String detail) {}

    private final List<Check> checks;
    private final Duration timeout;

    public Readiness(List<Check> checks, Duration timeout) {
        this.checks = List.copyOf(checks);
        this.timeout = timeout;
    }

    /** Blocks up to the timeout; call off the event loop. */
    public List<Result> run() {
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> futures = new ArrayList<>();
            for (Check c : checks) futures.add(threads.submit(c.probe()));
            long deadline = System.nanoTime() + timeout.toNanos();
            List<Result> out = new ArrayList<>();
            for (int i = 0; i < checks.size(); i++) {
                String name = checks.get(i).name();
                Future<String> f = futures.get(i);
                try {
                    out.add(new Result(name, true, f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)));
                } catch (TimeoutException e) {
                    f.cancel(true);
                    out.add(new Result(name, false, "no answer within " + timeout.toMillis() + " ms"));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    out.add(new Result(name, false, cause.getMessage() == null ? cause.toString() : cause.getMessage()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    out.add(new Result(name, false, "interrupted"));
                }
            }
            threads.shutdownNow();  // a probe stuck past its deadline must not hold up the answer
            return out;
        }
    }
}
