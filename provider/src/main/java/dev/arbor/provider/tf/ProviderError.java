package dev.arbor.provider.tf;

import java.util.List;

/** Thrown by resource code to end an RPC with diagnostics rather than a gRPC failure. */
public class ProviderError extends RuntimeException {
    private final transient List<Diag> diags;

    public ProviderError(Diag diag) {
        this(List.of(diag));
    }

    public ProviderError(List<Diag> diags) {
        super(diags.isEmpty() ? "provider error" : diags.getFirst().summary() + ": " + diags.getFirst().detail());
        this.diags = List.copyOf(diags);
    }

    public List<Diag> diags() {
        return diags;
    }
}
