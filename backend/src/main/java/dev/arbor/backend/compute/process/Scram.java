package dev.arbor.backend.compute.process;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * SCRAM-SHA-256 verifiers as PostgreSQL stores them (RFC 5802/7677). Computing them here means the
 * plain password never reaches postgres, its logs or pg_stat_statements.
 */
public final class Scram {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int ITERATIONS = 4096;

    private Scram() {}

    public static String verifier(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return verifier(password, salt, ITERATIONS);
    }

    static String verifier(String password, byte[] salt, int iterations) {
        Keys k = keys(password, salt, iterations);
        var b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(k.storedKey()) + ":" + b64.encodeToString(k.serverKey());
    }

    /** What a SCRAM server keeps per role (the password itself is not needed to check a proof). */
    public record Keys(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        @Override public String toString() { return "Scram.Keys[...]"; }
    }

    /**
     * The keys inside a stored verifier ({@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>},
     * what pg_authid.rolpassword holds); empty for anything else (an md5 hash, a plain password, garbage).
     */
    public static java.util.Optional<Keys> parseVerifier(String verifier) {
        if (verifier == null || !verifier.startsWith("SCRAM-SHA-256$")) return java.util.Optional.empty();
        String[] parts = verifier.substring("SCRAM-SHA-256$".length()).split("\\$", -1);
        if (parts.length != 2) return java.util.Optional.empty();
        String[] iterSalt = parts[0].split(":", -1);
        String[] keys = parts[1].split(":", -1);
        if (iterSalt.length != 2 || keys.length != 2) return java.util.Optional.empty();
        try {
            int iterations = Integer.parseInt(iterSalt[0]);
            var b64 = Base64.getDecoder();
            byte[] salt = b64.decode(iterSalt[1]);
            byte[] stored = b64.decode(keys[0]);
            byte[] server = b64.decode(keys[1]);
            if (iterations < 1 || salt.length == 0 || stored.length != 32 || server.length != 32) return java.util.Optional.empty();
            return java.util.Optional.of(new Keys(salt, iterations, stored, server));
        } catch (IllegalArgumentException e) {  // not a number, not base64: no usable verifier
            return java.util.Optional.empty();
        }
    }

    /** Fresh keys with a random salt (the proxy derives them from a role's password once and caches them). */
    public static Keys keys(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return keys(password, salt, ITERATIONS);
    }

    public static Keys keys(String password, byte[] salt, int iterations) {
        try {
            // PostgreSQL SASLprep-normalizes; for ASCII passwords (what the API generates) that is the identity.
            var spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] serverKey = hmac(salted, "Server Key");
            return new Keys(salt.clone(), iterations, storedKey, serverKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] hmac(byte[] key, String msg) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(msg.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
