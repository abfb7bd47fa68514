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
