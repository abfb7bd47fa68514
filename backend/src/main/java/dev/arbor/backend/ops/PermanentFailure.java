package dev.arbor.backend.ops;

/** A step failure that retrying cannot fix (bad input discovered late, missing data). */
public final class PermanentFailure extends RuntimeException {
    public PermanentFailure(String message) { super(message); }
    public PermanentFailure(String message, Throwable cause) { super(message, cause); }
}
