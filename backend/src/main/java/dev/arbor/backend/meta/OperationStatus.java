package dev.arbor.backend.meta;

/** Neon's {@code OperationStatus}. {@code scheduling} and {@code running} are the unfinished ones. */
public enum OperationStatus {
    scheduling, running, finished, failed, error, cancelling, cancelled, skipped;

    public boolean unfinished() { return this == scheduling || this == running; }
}
