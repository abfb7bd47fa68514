package dev.arbor.backend.api;

import dev.arbor.backend.meta.ApiKeys;
import dev.arbor.backend.meta.Db;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves {@code Authorization: Bearer <key>} to a {@link Principal}. Verified keys are cached for a few
 * seconds so a burst of calls does not hit the metadata database once per request; revoking a key
 * through this server evicts it at once. Each key also has a token-bucket rate limit (429 when empty).
 */
public final class Authenticator {
    private static final Duration CACHE_TTL = Duration.ofSeconds(5);
    private static final Duration MARK_USED_EVERY = Duration.ofSeconds(30);

    private final Db db;
    private final double ratePerSecond;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<Long, Bucket> buckets = new ConcurrentHashMap<>();

    private record Cached(Principal principal, long expiresAtNanos) {}

    public Authenticator(Db db, double ratePerSecond) {
        this.db = db;
        this.ratePerSecond = ratePerSecond;
    }

    public Principal authenticate(String authorizationHeader, String remoteAddr) {
        String key = bearer(authorizationHeader);
        byte[] hash = ApiKeys.hash(key);
        String hex = HexFormat.of().formatHex(hash);
        long now = System.nanoTime();
        Cached c = cache.get(hex);
        Principal p;
        if (c != null && c.expiresAtNanos - now > 0) {
            p = c.principal;
        } else {
            Optional<ApiKeys.ApiKey> found = db.tx(conn -> ApiKeys.find(conn, hash));
            if (found.isEmpty()) {
                cache.remove(hex);
                throw ApiException.unauthorized("the API key is not valid (unknown or revoked)");
            }
            p = new Principal(found.get().id(), found.get().name(), found.get().projectId(), found.get().rateLimitPerSecond());
            boolean markUsed = found.get().lastUsedAt().map(t -> t.plus(MARK_USED_EVERY).isBefore(java.time.Instant.now())).orElse(true);
            if (markUsed) db.tx(conn -> { ApiKeys.markUsed(conn, p.keyId(), remoteAddr); return null; });
            cache.put(hex, new Cached(p, now + CACHE_TTL.toNanos()));
        }
        double rate = p.rateLimitPerSecond().orElse(ratePerSecond);
        if (!buckets.computeIfAbsent(p.keyId(), k -> new Bucket(rate)).take()) {
            throw ApiException.tooManyRequests("rate limit of " + rate + " requests/s for this API key exceeded; retry shortly");
        }
        return p;
    }

    public void evict(long keyId) {
        cache.values().removeIf(c -> c.principal.keyId() == keyId);
    }

    private static String bearer(String header) {
        if (header == null || header.isBlank()) {
            throw ApiException.unauthorized("missing API key: send Authorization: Bearer <key>");
        }
        String h = header.strip();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7) || h.substring(7).isBlank()) {
            throw ApiException.unauthorized("the Authorization header must be 'Bearer <key>'");
        }
        return h.substring(7).strip();
    }

    /** Token bucket: {@code rate} tokens per second, burst of 2 seconds' worth. */
    private static final class Bucket {
        private final double rate;
        private final double capacity;
        private double tokens;
        private long last = System.nanoTime();

        Bucket(double rate) {
            this.rate = rate;
            this.capacity = Math.max(1, rate * 2);
            this.tokens = capacity;
        }

        synchronized boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens < 1) return false;
            tokens -= 1;
            return true;
        }
    }
}
