package dev.arbor.backend.anon;

/** A run failed after validation (connection lost, target schema mismatch, a value a mask could not handle...). */
public final class AnonymizationException extends Exception {
    public AnonymizationException(String message, Throwable cause) { super(message, cause); }
    public AnonymizationException(String message) { super(message); }
}
