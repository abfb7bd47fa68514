package dev.arbor.backend.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.MultiMap;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One API request as handlers see it: the caller, path and query parameters and the JSON body, with
 * typed accessors that turn every malformed input into a 400 naming the field.
 */
public final class Req {
    static final Pattern ID = Pattern.compile("[a-z0-9-]{1,60}");

    private final Principal principal;
    private final Map<String, String> path;
    private final MultiMap query;
    private final String rawBody;
    private JsonObject body;

    public Req(Principal principal, Map<String, String> path, MultiMap query, String rawBody) {
        this.principal = principal;
        this.path = path;
        this.query = query;
        this.rawBody = rawBody;
    }

    public Principal principal() { return principal; }

    /** A path parameter that is an id ({@code ^[a-z0-9-]{1,60}$}). */
    public String id(String name) {
        String v = path.get(name);
        if (v == null || !ID.matcher(v).matches()) {
            throw ApiException.badRequest(name + " must match ^[a-z0-9-]{1,60}$, got " + quote(v));
        }
        return v;
    }

    /** A path parameter that is a name (role, database): checked by the caller. */
    public String pathName(String name) {
        String v = path.get(name);
        if (v == null || v.isEmpty()) throw ApiException.badRequest(name + " is required");
        return v;
    }

    /** The project id from the path, after checking the caller may act on it. */
    public String project() {
        String p = id("project_id");
        principal.checkProject(p);
        return p;
    }

    public Optional<String> query(String name) {
        String v = query.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    public int queryInt(String name, int def, int min, int max) {
        Optional<String> v = query(name);
        if (v.isEmpty()) return def;
        try {
            int n = Integer.parseInt(v.get());
            if (n < min || n > max) throw ApiException.badRequest(name + " must be between " + min + " and " + max + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be an integer, got " + quote(v.get()));
        }
    }

    public boolean queryBool(String name) {
        Optional<String> v = query(name);
        if (v.isEmpty()) return false;
        return switch (v.get()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest(name + " must be true or false");
        };
    }

    /** The body as a JSON object; an empty body is an empty object. */
    public JsonObject body() {
        if (body != null) return body;
        if (rawBody == null || rawBody.isBlank()) return body = new JsonObject();
        Object parsed;
        try {
            parsed = io.vertx.core.json.Json.decodeValue(rawBody);
        } catch (DecodeException e) {
            throw ApiException.badRequest("request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(parsed instanceof JsonObject o)) throw ApiException.badRequest("request body must be a JSON object");
        return body = o;
    }

    // ---- typed field access; `where` names the field in messages, e.g. "branch.name"

    public static Optional<JsonObject> obj(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof JsonObject j) return Optional.of(j);
        throw ApiException.badRequest(where + " must be an object");
    }

    public static JsonObject requiredObj(JsonObject o, String field, String where) {
        return obj(o, field, where).orElseThrow(() -> ApiException.badRequest(where + " is required"));
    }

    public static Optional<JsonArray> arr(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof JsonArray a) return Optional.of(a);
        throw ApiException.badRequest(where + " must be an array");
    }

    public static Optional<String> str(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof String s) return Optional.of(s);
        throw ApiException.badRequest(where + " must be a string");
    }

    public static String requiredStr(JsonObject o, String field, String where) {
        return str(o, field, where).orElseThrow(() -> ApiException.badRequest(where + " is required"));
    }

    public static Optional<Boolean> bool(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof Boolean b) return Optional.of(b);
        throw ApiException.badRequest(where + " must be a boolean");
    }

    public static Optional<Double> num(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof Number n) return Optional.of(n.doubleValue());
        throw ApiException.badRequest(where + " must be a number");
    }

    public static Optional<Integer> integer(JsonObject o, String field, String where) {
        Object v = o.getValue(field);
        if (v == null) return Optional.empty();
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && n.doubleValue() >= Integer.MIN_VALUE && n.doubleValue() <= Integer.MAX_VALUE) {
            return Optional.of(n.intValue());
        }
        throw ApiException.badRequest(where + " must be an integer");
    }

    public static Optional<Instant> time(JsonObject o, String field, String where) {
        return str(o, field, where).map(s -> parseTime(s, where));
    }

    public static Instant parseTime(String s, String where) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(where + " must be an RFC 3339 timestamp, got " + quote(s));
        }
    }

    static String quote(String s) {
        if (s == null) return "nothing";
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return "\"" + t.replace("\"", "\\\"") + "\"";
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
