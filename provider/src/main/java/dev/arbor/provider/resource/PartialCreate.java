package dev.arbor.provider.resource;

import java.util.Map;

/**
 * The object was created but a later step (waiting for its operations, reading it back) failed. The
 * partial state goes back to Terraform with the error, so the object is tracked (tainted) instead of
 * orphaned and is replaced or destroyed by the next apply.
 */
public final class PartialCreate extends RuntimeException {
    private final transient Map<String, Object> state;

    public PartialCreate(Map<String, Object> state, RuntimeException cause) {
        super(cause.getMessage(), cause);
        this.state = state;
    }

    public Map<String, Object> state() {
        return state;
    }

    /** Runs the steps after the create call, turning their failure into a PartialCreate. */
    public static Map<String, Object> guard(Map<String, Object> partial, java.util.function.Supplier<Map<String, Object>> rest) {
        try {
            return rest.get();
        } catch (PartialCreate e) {
            throw e;
        } catch (RuntimeException e) {
            throw new PartialCreate(partial, e);
        }
    }
}
