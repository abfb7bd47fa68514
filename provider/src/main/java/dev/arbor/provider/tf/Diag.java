package dev.arbor.provider.tf;

import dev.arbor.provider.proto.tfplugin6.Tfplugin6;
import java.util.List;

/**
 * A diagnostic with an optional attribute path: attribute names, and {@code [i]} steps for list elements
 * (e.g. {@code rules, [2], column_name}).
 */
public record Diag(boolean error, String summary, String detail, List<String> path) {

    public static Diag error(String summary, String detail) {
        return new Diag(true, summary, detail, List.of());
    }

    public static Diag attributeError(String attribute, String summary, String detail) {
        return new Diag(true, summary, detail, List.of(attribute));
    }

    /** An error at a path such as {@code List.of("rules", "[2]", "column_name")}. */
    public static Diag pathError(List<String> path, String summary, String detail) {
        return new Diag(true, summary, detail, List.copyOf(path));
    }

    public Tfplugin6.Diagnostic toProto() {
        var b = Tfplugin6.Diagnostic.newBuilder()
                .setSeverity(error ? Tfplugin6.Diagnostic.Severity.ERROR : Tfplugin6.Diagnostic.Severity.WARNING)
                .setSummary(summary)
                .setDetail(detail == null ? "" : detail);
        if (!path.isEmpty()) {
            var p = Tfplugin6.AttributePath.newBuilder();
            for (String step : path) {
                var st = Tfplugin6.AttributePath.Step.newBuilder();
                if (step.length() > 2 && step.startsWith("[") && step.endsWith("]")) {
                    st.setElementKeyInt(Long.parseLong(step.substring(1, step.length() - 1)));
                } else {
                    st.setAttributeName(step);
                }
                p.addSteps(st);
            }
            b.setAttribute(p);
        }
        return b.build();
    }
}
