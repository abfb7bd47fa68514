package dev.arbor.backend.compute.proxy;

import dev.arbor.storage.BranchPoint;
import dev.arbor.storage.Lsn;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which endpoint (or branch) a client means, and at which point in time. Like Neon: the startup option
 * {@code endpoint=<id>} (a URI's {@code options=endpoint%3D<id>}) wins, else the first label of the TLS SNI host
 * ({@code <id>.<domain>}, a {@code -pooler} suffix dropped: there is no separate pooler). Neon's time-travel
 * options {@code neon_timestamp:<ts>} and {@code neon_lsn:<lsn>} (what {@code neonctl connection-string
 * branch@point} adds, with the branch id as host) ask for a read-only view of the past. These options are
 * removed before the startup packet reaches postgres, which would reject them.
 *
 * @param target  an endpoint id, or a branch id (time travel hosts name the branch)
 * @param at      empty = the branch's head
 */
record EndpointRouting(Optional<String> target, Optional<BranchPoint> at, String remainingOptions) {

    /** @throws IllegalArgumentException for a malformed neon_timestamp or neon_lsn */
    static EndpointRouting of(String options, String sniHost) {
        String id = null;
        BranchPoint at = null;
        List<String> kept = new ArrayList<>();
        if (options != null) {
            for (String token : options.trim().split("\\s+")) {
                if (token.isEmpty()) continue;
                String t = token.startsWith("--") ? token.substring(2) : token;
                if (t.startsWith("endpoint=")) id = t.substring("endpoint=".length());
                else if (t.startsWith("neon_timestamp:")) at = BranchPoint.at(timestamp(t.substring("neon_timestamp:".length())));
                else if (t.startsWith("neon_lsn:")) at = BranchPoint.at(lsn(t.substring("neon_lsn:".length())));
                else kept.add(token);
            }
        }
        if ((id == null || id.isEmpty()) && sniHost != null) {
            int dot = sniHost.indexOf('.');
            if (dot > 0) id = sniHost.substring(0, dot);
        }
        if (id != null && !id.matches("[A-Za-z0-9_-]{1,64}")) id = null;
        if (id != null && id.endsWith("-pooler")) id = id.substring(0, id.length() - "-pooler".length());
        return new EndpointRouting(Optional.ofNullable(id).filter(s -> !s.isEmpty()), Optional.ofNullable(at),
                String.join(" ", kept));
    }

    /** Kept for callers that only route by endpoint. */
    Optional<String> endpointId() { return target; }

    private static Instant timestamp(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("invalid neon_timestamp \"" + text + "\": expected an RFC 3339 time such as 2026-01-01T00:00:00Z");
            }
        }
    }

    private static Lsn lsn(String text) {
        try {
            return Lsn.parse(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid neon_lsn \"" + text + "\": expected an LSN such as 0/16B3748");
        }
    }
}
