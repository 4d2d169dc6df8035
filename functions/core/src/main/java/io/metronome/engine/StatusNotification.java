package io.metronome.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.EventCursor;
import io.metronome.domain.Json;
import io.metronome.domain.Run;
import io.metronome.domain.RunEvent;
import io.metronome.domain.RunStatus;
import io.metronome.domain.Times;

import java.time.Instant;
import java.util.List;

/**
 * A run's status changed: what EventBridge hears ({@code source: metronome}, detail-type
 * {@value #DETAIL_TYPE}). Derived from the same two versions of the run item as its events, so a stream record
 * delivered again gives the same notification under the same {@code eventId}: consumers drop duplicates by it.
 *
 * @param oldStatus null when the write created the run
 * @param eventId the id of the write's first workflow event (its first event when a status changes without one,
 *                as RUNNING and WAITING_APPROVAL do; {@code <rev>.0} when it has none at all)
 */
public record StatusNotification(String runId, String metronomeId, String userId, RunStatus oldStatus,
                                 RunStatus newStatus, String eventId, Instant at) {
    public static final String SOURCE = "metronome";
    public static final String DETAIL_TYPE = "Metronome Run Status Change";

    /** The notification of a write, or null when it left the status as it was (or was no new version). */
    public static StatusNotification of(Run before, Run after, List<RunEvent> events) {
        if (before != null && (after.rev() <= before.rev() || before.status() == after.status())) {
            return null;
        }
        String eventId = events.stream().filter(e -> e.type().isWorkflow()).findFirst()
                .or(() -> events.stream().findFirst()).map(RunEvent::id)
                .orElse(new EventCursor(after.rev(), 0).id());
        return new StatusNotification(after.id(), after.metronomeId(), after.userId(),
                before == null ? null : before.status(), after.status(), eventId, after.updatedAt());
    }

    public ObjectNode detail() {
        ObjectNode d = Json.object();
        d.put("runId", runId);
        d.put("metronomeId", metronomeId);
        d.put("userId", userId);
        d.put("oldStatus", oldStatus == null ? null : oldStatus.wire());
        d.put("newStatus", newStatus.wire());
        d.put("eventId", eventId);
        d.put("at", at == null ? null : Times.format(at));
        return d;
    }
}
