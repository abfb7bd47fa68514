package dev.arbor.backend.ops;

import dev.arbor.backend.meta.Operation;

/**
 * The work behind one operation action. Runs on a virtual thread and may block. Must be idempotent:
 * after a crash the executor runs an unfinished operation's step again.
 */
@FunctionalInterface
public interface Step {
    StepResult run(Operation op) throws Exception;
}
