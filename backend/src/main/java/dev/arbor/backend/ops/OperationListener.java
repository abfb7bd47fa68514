package dev.arbor.backend.ops;

import dev.arbor.backend.meta.Operation;
import dev.arbor.backend.meta.OperationStatus;

/** Told when the executor settles an operation (metrics count them by action and final status). */
@FunctionalInterface
public interface OperationListener {
    OperationListener NONE = (op, status) -> {};

    void settled(Operation op, OperationStatus status);
}
