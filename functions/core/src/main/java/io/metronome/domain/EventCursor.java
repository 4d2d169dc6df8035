package io.metronome.domain;

import java.util.regex.Pattern;

/**
 * Where a run's event stands in the run's order: the revision of the run item whose write produced it, and its
 * place among that write's events. Every writer of the run item agrees on revisions (each conditional write adds
 * one), so this order needs no clock. Written {@code <rev>.<index>} (e.g. {@code 17.0}): the SSE {@code id:},
 * {@code Last-Event-ID} and the events' {@code ?after=} cursor. Parsing is strict: anything this API could not
 * have handed out is a 400 naming the field it came in.
 */
public record EventCursor(long rev, int index) implements Comparable<EventCursor> {
    public static final long MAX_REV = 999_999_999_999L;
    /** Events one write may produce: a write changes at most a hand-off's budget of nodes (25), so far fewer. */
    public static final int MAX_INDEX = 999;
    private static final Pattern FORM = Pattern.compile("[1-9][0-9]{0,11}\\.(0|[1-9][0-9]{0,2})");

    public EventCursor {
        if (rev < 1 || rev > MAX_REV || index < 0 || index > MAX_INDEX) {
            throw new IllegalArgumentException("no event has position " + rev + "." + index);
        }
    }

    /** The event id, as the stream shows it. */
    public String id() {
        return rev + "." + index;
    }

    /**
     * @param field what the request called it ({@code Last-Event-ID}, {@code after}), for the 400
     * @return null for null: from the run's first event
     * @throws ApiException 400 naming {@code field} for anything that is not an event id
     */
    public static EventCursor parse(String id, String field) {
        if (id == null) {
            return null;
        }
        if (id.length() > 16 || !FORM.matcher(id).matches()) {
            throw ApiException.validation(field, "is not an event id (<revision>.<index>, as an event's id gives it)");
        }
        int dot = id.indexOf('.');
        return new EventCursor(Long.parseLong(id.substring(0, dot)), Integer.parseInt(id.substring(dot + 1)));
    }

    @Override
    public int compareTo(EventCursor o) {
        int byRev = Long.compare(rev, o.rev);
        return byRev != 0 ? byRev : Integer.compare(index, o.index);
    }

    @Override
    public String toString() {
        return id();
    }
}
