package dev.arbor.backend.logging;

import java.util.regex.Pattern;

/**
 * Last line of defence for secrets in log text: credentials in URLs ({@code scheme://user:secret@host}),
 * {@code Bearer} tokens and {@code password=} key/values are masked. Call sites must still never log
 * secrets; this catches an exception message that quotes a connection string.
 */
final class Redaction {
    private static final Pattern URL_CREDENTIALS = Pattern.compile("(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@]*:)[^@\\s/]+@");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]+");
    private static final Pattern PASSWORD_KV = Pattern.compile("(?i)((?:password|passwd|pwd)\\s*[=:]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s&;,]+)");

    private Redaction() {}

    static String apply(String s) {
        if (s == null || !mayHoldSecret(s)) return s;
        s = URL_CREDENTIALS.matcher(s).replaceAll("${scheme}***@");
        s = BEARER.matcher(s).replaceAll("$1***");
        return PASSWORD_KV.matcher(s).replaceAll("$1***");
    }

    /** A cheap pre-check so ordinary lines skip the regexes. */
    private static boolean mayHoldSecret(String s) {
        return s.contains("://") || containsIgnoreCase(s, "bearer") || containsIgnoreCase(s, "pass") || containsIgnoreCase(s, "pwd");
    }

    private static boolean containsIgnoreCase(String s, String needle) {
        int n = needle.length();
        for (int i = 0; i + n <= s.length(); i++) if (s.regionMatches(true, i, needle, 0, n)) return true;
        return false;
    }
}
