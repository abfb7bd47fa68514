package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.process.Scram;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SCRAM keys per role password, derived from the password the control plane holds (encrypted at rest) on first
 * use and kept in memory: PBKDF2's 4096 rounds are paid once per password, not per connection. Keyed by a hash
 * of the password (the keys depend on nothing else), so a password change simply misses the cache.
 */
final class RoleKeys {
    private static final int MAX_ENTRIES = 10_000;
    private final Map<String, Scram.Keys> cache = new ConcurrentHashMap<>();

    /** Blocks (PBKDF2) on a miss: call off the event loop. */
    Scram.Keys keys(String password) {
        String key = HexFormat.of().formatHex(ScramExchange.sha256(password.getBytes(StandardCharsets.UTF_8)));
        Scram.Keys k = cache.get(key);
        if (k != null) return k;
        if (cache.size() >= MAX_ENTRIES) cache.clear();
        k = Scram.keys(password);
        cache.put(key, k);
        return k;
    }
}
