package dev.arbor.backend.anon;

import java.util.List;

/**
 * A masking rule set that cannot be applied. Carries every problem found (not just the first), each naming
 * the rule's column, so an API can answer 400 with one complete message.
 */
public final class MaskingException extends Exception {
    /** What went wrong, for callers that map problems to error codes. */
    public enum Kind { SYNTAX, UNKNOWN_FUNCTION, BAD_ARGUMENTS, UNKNOWN_OBJECT, NOT_NULL, TYPE_MISMATCH,
        FOREIGN_KEY, UNIQUE, INVALID_RULE }

    public record Problem(Kind kind, String message) {
        @Override public String toString() { return message; }
    }

    private final List<Problem> problems;

    public MaskingException(List<Problem> problems) {
        super(problems.size() == 1 ? problems.getFirst().message()
                : problems.size() + " masking rule problems: " + String.join("; ", problems.stream().map(Problem::message).toList()));
        this.problems = List.copyOf(problems);
    }

    public MaskingException(Kind kind, String message) {
        this(List.of(new Problem(kind, message)));
    }

    public List<Problem> problems() { return problems; }

    public Kind kind() { return problems.getFirst().kind(); }
}
