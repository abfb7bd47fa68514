package dev.arbor.backend.compute.process;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Stored SCRAM verifiers parse back to the keys the password derives; anything else has no keys. */
class ScramVerifierTest {
    @Test
    void aVerifierParsesToTheKeysOfItsPassword() {
        byte[] salt = "0123456789abcdef".getBytes();
        Scram.Keys parsed = Scram.parseVerifier(Scram.verifier("pw", salt, 4096)).orElseThrow();
        Scram.Keys derived = Scram.keys("pw", salt, 4096);
        assertThat(parsed.iterations()).isEqualTo(4096);
        assertThat(parsed.salt()).isEqualTo(salt);
        assertThat(parsed.storedKey()).isEqualTo(derived.storedKey());
        assertThat(parsed.serverKey()).isEqualTo(derived.serverKey());
        assertThat(Scram.parseVerifier(Scram.verifier("other", salt, 4096)).orElseThrow().storedKey())
                .isNotEqualTo(derived.storedKey());
    }

    @Test
    void md5HashesPlainTextAndGarbageHaveNoKeys() {
        String good = Scram.verifier("pw");
        for (String bad : new String[] {null, "", "md5a3556571e93b0d20722ba62be61e8c2d", "plain-password",
                "SCRAM-SHA-256$4096:c2FsdA==", "SCRAM-SHA-256$x:c2FsdA==$AAAA:BBBB", "SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB",
                "SCRAM-SHA-256$4096:!!$" + good.split("\\$")[2], good + "$extra"}) {
            assertThat(Scram.parseVerifier(bad)).as(String.valueOf(bad)).isEmpty();
        }
    }
}
