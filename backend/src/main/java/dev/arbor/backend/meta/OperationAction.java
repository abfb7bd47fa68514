package dev.arbor.backend.meta;

/** The Neon {@code OperationAction} values this control plane emits. */
public enum OperationAction {
    create_timeline, delete_timeline, create_branch, start_compute, suspend_compute, apply_config,
    delete_compute, apply_schema_from_branch, anonymize_branch,
    /** Arbor's own: a twin import (pg_dump of an external PostgreSQL restored into a branch). */
    import_data;

    /**
     * Whether a client connecting to the branch waits until this operation is done (the proxy holds it). A twin
     * import works through the branch's endpoint itself, so it is no reason to make clients wait.
     */
    public boolean holdsConnections() {
        return this != import_data;
    }
}
