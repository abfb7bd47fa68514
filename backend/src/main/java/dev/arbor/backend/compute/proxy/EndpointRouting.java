package dev.arbor.backend.compute.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which endpoint a client means. Like Neon: the startup option {@code endpoint=<id>} (a URI's
 * {@code options=endpoint%3D<id>}) wins, else the first label of the TLS SNI host ({@code <id>.<domain>}).
 * The endpoint option is removed before the startup packet reaches postgres, which would reject it.
 */
record EndpointRouting(Optional<String> endpointId, String remainingOptions) {

    static EndpointRouting of(String options, String sniHost) {
        String id = null;
        List<String> kept = new ArrayList<>();
        if (options != null) {
            for (String token : options.trim().split("\\s+")) {
                if (token.isEmpty()) continue;
                String t = token.startsWith("--") ? token.substring(2) : token;
                if (t.startsWith("endpoint=")) id = t.substring("endpoint=".length());
                else kept.add(token);
            }
        }
        if ((id == null || id.isEmpty()) && sniHost != null) {
            int dot = sniHost.indexOf('.');
            if (dot > 0) id = sniHost.substring(0, dot);
        }
        if (id != null && !id.matches("[A-Za-z0-9_-]{1,64}")) id = null;
        // Neon's pooled host/option is <id>-pooler; there is no pgbouncer here, so it reaches the endpoint itself.
        if (id != null && id.endsWith("-pooler")) id = id.substring(0, id.length() - "-pooler".length());
        return new EndpointRouting(Optional.ofNullable(id).filter(s -> !s.isEmpty()), String.join(" ", kept));
    }
}
