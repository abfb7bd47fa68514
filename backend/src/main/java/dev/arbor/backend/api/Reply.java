package dev.arbor.backend.api;

/** A successful answer: status and a JSON body (JsonObject or JsonArray), or none for 204. */
public record Reply(int status, Object body) {
    public static Reply ok(Object body) { return new Reply(200, body); }
    public static Reply created(Object body) { return new Reply(201, body); }
    /** Neon's answer to a DELETE of something already gone: 204, no body (so a repeated delete is idempotent). */
    public static Reply gone() { return new Reply(204, null); }
}
