package dev.arbor.provider.client;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The SSLContext handed to the HTTP client when the API URL is plain http. The JDK's HttpClient builds
 * {@code SSLContext.getDefault()} up front even if it never speaks TLS, and that loads and parses the whole
 * cacerts trust store: about 100 ms of a cold launch's CPU. This context trusts nothing, so a redirect or
 * misconfiguration can never make it accept a server.
 */
final class NoTls {
    private NoTls() {}

    static SSLContext context() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new TrustsNothing()}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS provider unavailable", e);
        }
    }

    private static final class TrustsNothing implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the Arbor API URL is plain http: no TLS peer is trusted");
        }

        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the Arbor API URL is plain http: no TLS peer is trusted");
        }

        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
