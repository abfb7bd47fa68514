package dev.arbor.backend.anon;

/** A masking function failed on one row's value (e.g. anon.noise on a text column holding 'n/a'). */
public final class MaskingRuntimeException extends RuntimeException {
    public MaskingRuntimeException(String message) { super(message); }
}
