package dev.arbor.backend.compute.proxy;

import dev.arbor.backend.compute.process.Scram;
import org.junit.jupiter.api.Test;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proxy's SCRAM server against a client computed here from RFC 5802 (psql and pgjdbc cover it end to end). */
class ScramExchangeTest {
    private static final byte[] CERT_HASH = ScramExchange.sha256("cert".getBytes(StandardCharsets.UTF_8));
    private final Scram.Keys keys = Scram.keys("pw-1");

    /** A client's final message for {@code password}, binding {@code cbind} after the gs2 header. */
    private static String clientFinal(String password, String gs2, byte[] cbind, String clientFirstBare, String serverFirst) throws Exception {
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String salt = serverFirst.split(",")[1].substring(2);
        byte[] input = gs2.getBytes(StandardCharsets.UTF_8);
        if (cbind != null) {
            byte[] all = new byte[input.length + cbind.length];
            System.arraycopy(input, 0, all, 0, input.length);
            System.arraycopy(cbind, 0, all, input.length, cbind.length);
            input = all;
        }
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(input) + ",r=" + nonce;
        byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), Base64.getDecoder().decode(salt), 4096, 256)).getEncoded();
        byte[] clientKey = Scram.hmac(salted, "Client Key");
        byte[] storedKey = ScramExchange.sha256(clientKey);
        byte[] sig = Scram.hmac(storedKey, clientFirstBare + "," + serverFirst + "," + withoutProof);
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) proof[i] = (byte) (clientKey[i] ^ sig[i]);
        return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    @Test
    void plusWithTheRightBindingAndPasswordSucceedsAndProvesTheServer() throws Exception {
        var x = new ScramExchange("alice", keys, CERT_HASH);
        assertThat(x.mechanisms()).containsExactly(ScramExchange.PLUS, ScramExchange.PLAIN);
        String gs2 = "p=tls-server-end-point,,";
        String sf = x.first(ScramExchange.PLUS, gs2 + "n=,r=abc");
        String v = x.last(clientFinal("pw-1", gs2, CERT_HASH, "n=,r=abc", sf));
        assertThat(v).startsWith("v=");
    }

    @Test
    void wrongPasswordUnknownRoleAndWrongBindingFail() throws Exception {
        String gs2 = "p=tls-server-end-point,,";
        var wrong = new ScramExchange("alice", keys, CERT_HASH);
        String sf = wrong.first(ScramExchange.PLUS, gs2 + "n=,r=abc");
        assertThatThrownBy(() -> wrong.last(clientFinal("nope", gs2, CERT_HASH, "n=,r=abc", sf)))
                .isInstanceOfSatisfying(ScramExchange.Failure.class, f -> assertThat(f.sqlState).isEqualTo("28P01"))
                .hasMessage("password authentication failed for user \"alice\"");
        var unknown = new ScramExchange("bob", null, CERT_HASH);
        String sf2 = unknown.first(ScramExchange.PLUS, gs2 + "n=,r=abc");
        assertThatThrownBy(() -> unknown.last(clientFinal("pw-1", gs2, CERT_HASH, "n=,r=abc", sf2)))
                .isInstanceOfSatisfying(ScramExchange.Failure.class, f -> assertThat(f.sqlState).isEqualTo("28P01"));
        var otherCert = new ScramExchange("alice", keys, CERT_HASH);
        String sf3 = otherCert.first(ScramExchange.PLUS, gs2 + "n=,r=abc");
        byte[] mitm = ScramExchange.sha256("another cert".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> otherCert.last(clientFinal("pw-1", gs2, mitm, "n=,r=abc", sf3)))
                .hasMessageContaining("channel binding check failed");
    }

    @Test
    void downgradeAndMalformedMessagesAreRefused() throws Exception {
        // a client able to bind that believes the server cannot: someone stripped -PLUS on the way
        assertThatThrownBy(() -> new ScramExchange("a", keys, CERT_HASH).first(ScramExchange.PLAIN, "y,,n=,r=abc"))
                .hasMessageContaining("negotiation error");
        assertThatThrownBy(() -> new ScramExchange("a", keys, null).first(ScramExchange.PLUS, "p=tls-server-end-point,,n=,r=x"))
                .hasMessageContaining("SSL");
        assertThatThrownBy(() -> new ScramExchange("a", keys, CERT_HASH).first(ScramExchange.PLAIN, "n,a=admin,n=,r=x"))
                .hasMessageContaining("authorization identity");
        assertThatThrownBy(() -> new ScramExchange("a", keys, CERT_HASH).first("MD5", "n,,n=,r=x")).hasMessageContaining("mechanism");
        // without TLS, plain SCRAM with "n" works
        var plain = new ScramExchange("alice", keys, null);
        String sf = plain.first(ScramExchange.PLAIN, "n,,n=,r=xyz");
        assertThat(plain.last(clientFinal("pw-1", "n,,", null, "n=,r=xyz", sf))).startsWith("v=");
    }
}
