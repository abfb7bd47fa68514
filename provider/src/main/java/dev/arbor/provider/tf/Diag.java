package dev.arbor.provider.tf;

import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import java.util.List;

/** A diagnostic with an optional attribute path (top-level attribute names). */
public record Diag(boolean error, String summary, String detail, List<String> path) {

    public static Diag error(String summary, String detail) {
        return new Diag(true, summary, detail, List.of());
    }

    public static Diag attributeError(String attribute, String summary, String detail) {
        return new Diag(true, summary, detail, List.of(attribute));
    }

    public Tfplugin6.Diagnostic toProto() {
        var b = Tfplugin6.Diagnostic.newBuilder()
                .setSeverity(error ? Tfplugin6.Diagnostic.Severity.ERROR : Tfplugin6.Diagnostic.Severity.WARNING)
                .setSummary(summary)
                .setDetail(detail == null ? "" : detail);
        if (!path.isEmpty()) {
            var p = Tfplugin6.AttributePath.newBuilder();
            for (String step : path) {
                p.addSteps(Tfplugin6.AttributePath.Step.newBuilder().setAttributeName(step));
            }
            b.setAttribute(p);
        }
        return b.build();
    }
}
