package dev.arbor.backend.api;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Name rules. Display names (projects, branches, endpoints) are free text without quotes, semicolons,
 * backslashes or control characters. Role and database names become Postgres identifiers, so they are
 * held to a conservative identifier form.
 */
public final class Names {
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
    private static final Set<String> RESERVED_ROLES = Set.of("postgres", "arbor", "cloud_admin", "neon_superuser",
            "public", "none", "current_user", "session_user", "current_role");
    private static final Set<String> RESERVED_DATABASES = Set.of("postgres", "template0", "template1");

    private Names() {}

    public static String displayName(String value, String where, int maxChars) {
        if (value.isEmpty()) throw ApiException.badRequest(where + " must not be empty");
        if (value.codePointCount(0, value.length()) > maxChars) {
            throw ApiException.badRequest(where + " must be at most " + maxChars + " characters");
        }
        if (!value.strip().equals(value)) throw ApiException.badRequest(where + " must not start or end with whitespace");
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '\'' || ch == '"' || ch == ';' || ch == '\\' || ch == '`' || Character.isISOControl(ch)) {
                throw ApiException.badRequest(where + " must not contain quotes, backquotes, ';', '\\' or control characters");
            }
        }
        return value;
    }

    public static String roleName(String value, String where) {
        identifier(value, where);
        if (RESERVED_ROLES.contains(value.toLowerCase()) || value.startsWith("pg_")) {
            throw ApiException.badRequest(where + " " + Req.quote(value) + " is reserved");
        }
        return value;
    }

    public static String databaseName(String value, String where) {
        identifier(value, where);
        if (RESERVED_DATABASES.contains(value.toLowerCase())) {
            throw ApiException.badRequest(where + " " + Req.quote(value) + " is reserved");
        }
        return value;
    }

    private static void identifier(String value, String where) {
        if (value.isEmpty()) throw ApiException.badRequest(where + " must not be empty");
        if (value.getBytes(StandardCharsets.UTF_8).length > 63) throw ApiException.badRequest(where + " must be at most 63 bytes");
        if (!IDENT.matcher(value).matches()) {
            throw ApiException.badRequest(where + " must start with a letter or '_' and contain only letters, digits, '_', '.' or '-'");
        }
    }
}
