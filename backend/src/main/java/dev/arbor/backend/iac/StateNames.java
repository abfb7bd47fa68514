package dev.arbor.backend.iac;

import dev.arbor.backend.api.ApiException;

import java.util.regex.Pattern;

/** Validation of the path parts: project ids as elsewhere in the API, state names safe as one path segment. */
final class StateNames {
    private static final Pattern PROJECT = Pattern.compile("[a-z0-9-]{1,60}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private StateNames() {}

    static String project(String v) {
        if (v == null || !PROJECT.matcher(v).matches()) throw ApiException.badRequest("project_id must match ^[a-z0-9-]{1,60}$");
        return v;
    }

    /** 1-128 of {@code [A-Za-z0-9._-]}, and not {@code .} or {@code ..} (no path tricks). */
    static String state(String v) {
        if (v == null || !NAME.matcher(v).matches() || v.equals(".") || v.equals("..")) {
            throw ApiException.badRequest("state name must be 1-128 characters of [A-Za-z0-9._-] and not . or ..");
        }
        return v;
    }

    static int version(String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) { }
        throw ApiException.badRequest("version must be a positive integer");
    }
}
